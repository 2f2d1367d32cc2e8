import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisStage, IncidentType, RiskLevel, type AnalysisResult } from '@vigint/contracts';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import { verifyWebhook } from '@vigint/notify';
import { makeTestJpeg, startFakeNtfy, startFakeWebhook, type FakeNtfy, type FakeWebhook } from '@vigint/testing';
import { parseCli } from './cli';
import { loadAgentConfig } from './config';
import { createLocalBackend } from './local-backend';
import { UserError } from './user-error';

const ANALYSIS: AnalysisResult = {
  has_security_incident: true,
  incident_detected: true,
  incident: true,
  incident_type: IncidentType.Intrusion,
  risk_level: RiskLevel.High,
  analysis: 'Une personne escalade la clôture.',
  description: 'Une personne escalade la clôture.',
  confidence: 0.9,
  frame_count: 6,
  frame_indexes: [2],
  model: 'gemini-2.5-flash',
  offline: false,
  token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  ai_calls: [
    {
      stage: AnalysisStage.Confirm,
      model: 'gemini-2.5-flash',
      images: 6,
      image_bytes: 1,
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      duration_ms: 1,
    },
  ],
  flash_confirmation: true,
  flash_veto: false,
};

/** Local mode's first notice: channels from the config file's `notify` key, sent from announce(). */
describe('local mode first notice', () => {
  let work: string;
  let ntfy: FakeNtfy;
  let hook: FakeWebhook;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigint-local-notice-'));
    await writeFile(join(work, 'cam.mp4'), 'not read here');
    [ntfy, hook] = await Promise.all([startFakeNtfy(), startFakeWebhook()]);
  });
  afterAll(async () => {
    await Promise.allSettled([ntfy?.stop(), hook?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const configWith = async (notify: string[]) => {
    const file = join(work, `agent-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(
      file,
      ['cameras:', `  - { id: yard, name: Cour, video_input: ${join(work, 'cam.mp4')}, language: fr }`, ...notify].join(
        '\n',
      ),
    );
    return loadAgentConfig(parseCli(['--config', file, '--fast', '--outbox', join(work, 'outbox')]), {});
  };

  it('sends the snapshot and summary once per incident through ntfy and the webhook, in French', async () => {
    const config = await configWith([
      'notify:',
      '  time_zone: Europe/Paris',
      `  ntfy: { server: "${ntfy.url}", topic: cour-alertes }`,
      `  webhook: { url: "${hook.url}", secret: local-webhook-secret-01 }`,
    ]);
    expect(config.notify).toMatchObject({ timeZone: 'Europe/Paris', channels: { ntfy: { topic: 'cour-alertes' } } });
    const image = new ImageAdapter();
    const backend = createLocalBackend(config, { image, ffmpeg: new FfmpegAdapter(silentLogger), log: silentLogger });
    try {
      const snapshot = await makeTestJpeg({ width: 320, height: 240 });
      const incident = {
        idempotencyKey: 'yard-1767000000000',
        cameraId: 'yard',
        cameraName: 'Cour',
        startedAt: new Date('2026-12-01T21:00:00Z'),
        detectedAt: new Date(),
        riskLevel: RiskLevel.High,
        analysis: ANALYSIS,
        snapshot,
        language: config.cameras[0]!.language,
      };
      await backend.announce(incident);
      // The agent never announces twice, but a retry must not notify twice either.
      await backend.announce(incident);
      await ntfy.waitForMessages(1);
      await hook.waitForDeliveries(1);
      expect(ntfy.messages).toHaveLength(1);
      expect(ntfy.messages[0]).toMatchObject({ topic: 'cour-alertes', title: 'HIGH · Cour : intrusion' });
      expect(ntfy.messages[0]!.attachment?.type).toBe('image/jpeg');
      // 21:00 UTC is 22:00 in Paris.
      expect(ntfy.messages[0]!.message).toBe('Une personne escalade la clôture.\nCour — 1 déc., 22:00:00');
      expect(hook.requests).toHaveLength(1);
      const d = hook.deliveries[0]!;
      expect(verifyWebhook('local-webhook-secret-01', String(d.headers['x-vigint-signature']), d.body).valid).toBe(
        true,
      );
      // Local mode has no console: no links to act from.
      expect(JSON.parse(d.body).data.links).toBeNull();
    } finally {
      await backend.close();
    }
  });

  it('refuses a notify key it does not know, naming it', async () => {
    await expect(configWith(['notify:', `  nfty: { server: "${ntfy.url}", topic: t }`])).rejects.toThrow(
      /notify\.nfty: unknown key \(did you mean "ntfy"\?\)/,
    );
    await expect(configWith(['notify:', '  time_zone: Mars/Olympus'])).rejects.toThrow(UserError);
  });
});
