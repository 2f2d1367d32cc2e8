import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertService,
  createLocalStores,
  DeliveryPolicy,
  FirstNoticeService,
  MemoryAlertLedger,
  noticeSettingsFrom,
} from '@vigint/alerting';
import {
  AlertLanguage,
  AnalysisStage,
  CameraState,
  IncidentType,
  RiskLevel,
  type AnalysisResult,
} from '@vigint/contracts';
import { createMailer } from '@vigint/mailer';
import { MemoryNoticeLedger, NotifyAdapter } from '@vigint/notify';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import { verifyWebhook } from '@vigint/notify';
import { makeTestJpeg, startFakeNtfy, startFakeWebhook, type FakeNtfy, type FakeWebhook } from '@vigint/testing';
import { parseCli } from './cli';
import { loadAgentConfig } from './config';
import { createLocalBackend, LocalBackend, LOCAL_TENANT, type LocalBackendOptions } from './local-backend';
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

  const configWith = async (notify: string[], live?: { outbox: string }) => {
    const file = join(work, `agent-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(
      file,
      ['cameras:', `  - { id: yard, name: Cour, video_input: ${join(work, 'cam.mp4')}, language: fr }`, ...notify].join(
        '\n',
      ),
    );
    const args = live ? ['--outbox', live.outbox] : ['--fast', '--outbox', join(work, 'outbox')];
    return loadAgentConfig(parseCli(['--config', file, ...args]), {});
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

  it('a restarted agent does not notify again for an incident it already notified', async () => {
    const config = await configWith(['notify:', `  ntfy: { server: "${ntfy.url}", topic: restart-t }`], {
      outbox: join(work, 'restart-outbox'),
    });
    const image = new ImageAdapter();
    const deps = { image, ffmpeg: new FfmpegAdapter(silentLogger), log: silentLogger };
    const incident = (key: string) => ({
      idempotencyKey: key,
      cameraId: 'yard',
      cameraName: 'Cour',
      startedAt: new Date(Date.now() - 5_000),
      detectedAt: new Date(),
      riskLevel: RiskLevel.High,
      analysis: ANALYSIS,
      language: AlertLanguage.En,
    });
    // announce() returns once the channel answered: the fake holds the message by then.
    const pushes = () => ntfy.messages.filter((m) => m.topic === 'restart-t').length;
    const first = createLocalBackend(config, deps);
    try {
      await first.announce(incident('yard-1767000000001'));
    } finally {
      await first.close();
    }
    expect(pushes()).toBe(1);
    // A new process (the agent restarted) announces the same incident again (a replay), then a new one.
    const second = createLocalBackend(config, deps);
    try {
      await second.announce(incident('yard-1767000000001'));
      expect(pushes()).toBe(1);
      await second.announce(incident('yard-1767000000002'));
      expect(pushes()).toBe(2);
    } finally {
      await second.close();
    }
  });

  it('refuses a notify key it does not know, naming it', async () => {
    await expect(configWith(['notify:', `  nfty: { server: "${ntfy.url}", topic: t }`])).rejects.toThrow(
      /notify\.nfty: unknown key \(did you mean "ntfy"\?\)/,
    );
    await expect(configWith(['notify:', '  time_zone: Mars/Olympus'])).rejects.toThrow(UserError);
  });

  it('a snoozed camera keeps recording and listing incidents but sends no notice and no e-mail', async () => {
    const outbox = join(work, 'snooze-outbox');
    const image = new ImageAdapter();
    const stores = createLocalStores();
    const mailer = createMailer({ EMAIL_OUTBOX_DIR: outbox }, silentLogger);
    const alerts = new AlertService({ mailer, ledger: new MemoryAlertLedger(), image, from: 'vigint@localhost' });
    const policy = new DeliveryPolicy({
      alerts,
      clipBudgetBytes: 10_000_000,
      incidents: stores.incidents,
      cameras: stores.cameras,
    });
    const firstNotice = new FirstNoticeService({
      notify: new NotifyAdapter({ sleep: async () => undefined }),
      ledger: new MemoryNoticeLedger(),
      settings: noticeSettingsFrom(stores.cameras, async () => ({
        channels: { ntfy: { server: ntfy.url, topic: 'snz' } },
      })),
      deliveryLog: stores.incidents,
    });
    const backend = new LocalBackend({
      policy,
      mailer,
      image,
      stores,
      firstNotice,
      to: 'owner@example.com',
      from: 'vigint@localhost',
      description: 'test',
      log: silentLogger,
    } as unknown as LocalBackendOptions);
    await backend.heartbeat([
      {
        cameraId: 'shed',
        cameraName: 'Shed',
        state: CameraState.Live,
        lastFrameAt: new Date(),
        alertThreshold: RiskLevel.Medium,
      },
    ]);
    await stores.cameras.snooze(LOCAL_TENANT, 'shed', new Date(Date.now() + 15 * 60_000));
    const incident = async (key: string) => ({
      idempotencyKey: key,
      cameraId: 'shed',
      cameraName: 'Shed',
      startedAt: new Date(Date.now() - 8_000),
      endedAt: new Date(),
      detectedAt: new Date(),
      riskLevel: RiskLevel.High,
      analysis: { ...ANALYSIS, analysis: 'A person forces the shed door.' },
      snapshot: await makeTestJpeg({ width: 160, height: 120 }),
      masks: [],
      language: AlertLanguage.En,
    });
    const pushes = ntfy.messages.filter((m) => m.topic === 'snz').length;
    const quiet = await incident('shed-1767000000000');
    await backend.announce(quiet);
    const res = await backend.deliver(quiet, undefined);
    expect(res).toMatchObject({ status: 'suppressed', detail: expect.stringMatching(/^camera snoozed until /) });
    expect(ntfy.messages.filter((m) => m.topic === 'snz')).toHaveLength(pushes);
    expect(await readdir(outbox).catch(() => [])).toEqual([]);
    const listed = await stores.incidents.list(LOCAL_TENANT, {});
    expect(listed.incidents.map((i) => i.idempotencyKey)).toEqual(['shed-1767000000000']);
    expect(listed.incidents[0]!.deliveries).toMatchObject([{ channel: 'email', status: 'suppressed' }]);

    // The snooze ends: the next incident notifies and mails again.
    await stores.cameras.snooze(LOCAL_TENANT, 'shed', null);
    const loud = await incident('shed-1767000060000');
    await backend.announce(loud);
    expect(await backend.deliver(loud, undefined)).toMatchObject({ status: 'sent' });
    expect(ntfy.messages.filter((m) => m.topic === 'snz')).toHaveLength(pushes + 1);
    expect((await readdir(outbox)).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    await backend.close();
  });
});
