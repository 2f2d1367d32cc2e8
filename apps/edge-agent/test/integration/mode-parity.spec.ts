import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, BufferType, type Polygon } from '@vigint/contracts';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import type { ReceivedMail, RecordedGeminiRequest } from '@vigint/testing';
import type { AnalyzeRequest, Incident } from '../../src/backend';
import { loadAgentConfig } from '../../src/config';
import { createLocalBackend } from '../../src/local-backend';
import { createRemoteBackend } from '../../src/remote/remote-backend';
import { REPO, stackHelpers, useDistributedStack } from './distributed-stack';

/*
 * "Two modes, one code path", checked on the same footage: what the model is sent in local mode (LocalBackend →
 * AnalysisService in this process) and in distributed mode (RemoteBackend → the real gateway → the worker's
 * AnalysisService) — the same images, in the same order, to the same stage, byte for byte.
 */

const t = useDistributedStack('mode-parity');
const { waitFor } = stackHelpers(() => t.stack);
/** The mails naming `camera` that arrived after the first `before` messages, once there are `n`. */
async function mailsSince(before: number, camera: string, n: number): Promise<ReceivedMail[]> {
  const mine = () =>
    t.stack.smtp.messages
      .slice(before)
      .filter((m) => `${m.parsed.subject ?? ''} ${m.parsed.text ?? ''}`.includes(camera));
  await waitFor(() => mine().length >= n, 60_000);
  return mine();
}

/** Each model call as the fake Gemini server saw it: the model and the sha256 of each image, in order. */
const callsOf = (requests: RecordedGeminiRequest[]) =>
  requests.map((r) => ({ model: r.model, images: r.images.map((i) => sha256(i.data)) }));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const image = new ImageAdapter();

/** Local mode as main.ts builds it, the fake Gemini as its AI and the stack's SMTP server as its mail. */
function localBackend() {
  const { gemini, smtp } = t.stack;
  const config = loadAgentConfig(
    {
      videoInput: join(REPO, 'samples/intruder.mp4'),
      loop: false,
      configFiles: [],
      outbox: t.work,
      fast: true,
      help: false,
    },
    {
      GOOGLE_API_KEY: 'fake-key',
      GEMINI_BASE_URL: gemini.baseUrl,
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: String(smtp.port),
      EMAIL_FROM: 'Vigint <alerts@vigint.test>',
      EMAIL_TO: 'owner@acme.test',
    },
  );
  return createLocalBackend(config, { image, ffmpeg: new FfmpegAdapter(silentLogger), log: silentLogger });
}

function remoteBackend(outbox: string) {
  return createRemoteBackend({
    apiServerUrl: t.stack.gatewayUrl,
    apiKey: t.stack.apiKey,
    outboxDir: join(t.work, outbox),
    image,
  });
}

describe('local and distributed mode send the model the same frames', () => {
  let frames: Buffer[];
  let footage: string;
  beforeAll(async () => {
    // Real footage: the intruder sample at 2 fps, full size, as the capture hands frames to the pipeline.
    footage = await mkdtemp(join(tmpdir(), 'vigint-parity-'));
    await promisify(execFile)('ffmpeg', [
      ...['-v', 'error', '-i', join(REPO, 'samples/intruder.mp4'), '-t', '7', '-vf', 'fps=2', '-q:v', '3'],
      join(footage, '%02d.jpg'),
    ]);
    const names = (await readdir(footage)).filter((f) => f.endsWith('.jpg')).sort();
    frames = await Promise.all(names.map((n) => readFile(join(footage, n))));
  }, 60_000);
  afterAll(async () => {
    if (footage) await rm(footage, { recursive: true, force: true });
  });

  it('screens on the same 3 short frames and confirms on the same 6 long frames, each encoded once', async () => {
    expect(frames.length).toBeGreaterThanOrEqual(12);
    const mask: Polygon = [
      [0, 0],
      [0.3, 0],
      [0.3, 0.3],
      [0, 0.3],
    ];
    const req: AnalyzeRequest = {
      cameraId: 'parity-cam',
      cameraName: 'Parity',
      frames: frames.slice(-4),
      longFrames: frames.slice(-12),
      bufferType: BufferType.Short,
      language: AlertLanguage.En,
      masks: [mask],
    };
    const { gemini } = t.stack;

    gemini.reset();
    const local = localBackend();
    const localResult = await local.analyze(req);
    const localCalls = callsOf(gemini.requests);
    await local.close();

    gemini.reset();
    const remote = await remoteBackend('parity-outbox');
    const remoteResult = await remote.analyze(req);
    const remoteCalls = callsOf(gemini.requests);
    await remote.close();

    // Both stages ran (the fake model reports an intrusion), with 3 then 6 images.
    expect(localCalls.map((c) => c.images.length)).toEqual([3, 6]);
    expect(remoteCalls).toEqual(localCalls);
    // Each image is one encode of a distinct frame: none the raw capture frame, none twice in a call.
    const raw = new Set(frames.map(sha256));
    for (const c of localCalls) for (const h of c.images) expect(raw.has(h)).toBe(false);
    expect(localCalls.map((c) => new Set(c.images).size)).toEqual([3, 6]);
    expect(remoteResult.frame_count).toBe(localResult.frame_count);
    expect(remoteResult.frame_indexes).toEqual(localResult.frame_indexes);
    expect(remoteResult.risk_level).toBe(localResult.risk_level);
  }, 120_000);
});

describe('local and distributed mode send the same e-mail for the same incident', () => {
  it('same subject and text (but for the private link), clip and thumbnail attached in both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigint-parity-mail-'));
    try {
      const snapshot = await frameOf(dir);
      const local = localBackend();
      const analysis = await local.analyze({
        cameraId: 'parity-mail',
        cameraName: 'Parity door',
        frames: [snapshot],
        bufferType: BufferType.Short,
        language: AlertLanguage.En,
        masks: [],
      });
      const startedAt = new Date(Date.now() - 20_000);
      const incident: Incident = {
        idempotencyKey: `parity-mail-${startedAt.getTime()}`,
        cameraId: 'parity-mail',
        cameraName: 'Parity door',
        startedAt,
        endedAt: new Date(startedAt.getTime() + 12_000),
        detectedAt: new Date(startedAt.getTime() + 2_000),
        riskLevel: analysis.risk_level,
        analysis,
        snapshot,
        masks: [],
        language: AlertLanguage.En,
      };
      const clip = async (name: string) => {
        const f = join(dir, name);
        await copyFile(join(REPO, 'samples/intruder.mp4'), f);
        return f;
      };
      const before = t.stack.smtp.messages.length;
      const remote = await remoteBackend('parity-mail-outbox');
      expect((await local.deliver(incident, await clip('local.mp4'))).status).toBe('sent');
      expect((await remote.deliver(incident, await clip('remote.mp4'))).status).toBe('sent');
      // The same scene on the same camera a minute later: the snapshot's perceptual hash suppresses it in both.
      const again = { ...incident, idempotencyKey: `parity-mail-${startedAt.getTime() + 60_000}` };
      expect((await local.deliver(again, await clip('local2.mp4'))).status).toBe('suppressed');
      expect((await remote.deliver(again, await clip('remote2.mp4'))).status).toBe('suppressed');
      await local.close();
      await remote.close();

      const mails = await mailsSince(before, 'Parity door', 2);
      const [localMail, remoteMail] = mails as [ReceivedMail, ReceivedMail];
      expect(remoteMail.parsed.subject).toBe(localMail.parsed.subject);
      expect(comparable(remoteMail)).toEqual(comparable(localMail));
      for (const m of [localMail, remoteMail]) {
        const kinds = m.parsed.attachments.map((a) => a.contentType);
        expect(kinds, m.parsed.subject).toContain('video/mp4');
        expect(kinds, m.parsed.subject).toContain('image/jpeg');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * The text part without what differs by design: the private link and the act-from-the-alert links (only a gateway
 * serves the clip's page and the console) and the greeting (local mode has no client account, so no name).
 */
function comparable(m: ReceivedMail): string[] {
  return (m.parsed.text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/https?:\/\/|private link|^Act on this alert/.test(l))
    .map((l) => l.replace(/^Hello [^,]+,$/, 'Hello,'))
    .map((l) => l.replace(/<[^>]+@[^>]+>/g, '<id>'));
}

/** One full-size frame of the intruder sample, as the pipeline's snapshot would be. */
async function frameOf(dir: string): Promise<Buffer> {
  const out = join(dir, 'snapshot.jpg');
  await promisify(execFile)('ffmpeg', [
    ...['-v', 'error', '-ss', '3', '-i', join(REPO, 'samples/intruder.mp4'), '-frames:v', '1', '-q:v', '3', out],
  ]);
  return readFile(out);
}

describe('local and distributed mode send the same camera notices', () => {
  // The language is English in both: the gateway writes to a client in the client's own language (languageOf).
  it('offline and online notices from the same templates', async () => {
    const local = localBackend();
    const remote = await remoteBackend('parity-notice-outbox');
    const at = new Date(Date.now() - 5_000);
    const notices = [
      { kind: 'camera_offline' as const, seconds: 75 },
      { kind: 'camera_online' as const, seconds: 140 },
    ].map((n) => ({
      ...n,
      cameraId: 'parity-notice',
      cameraName: 'Garage nord',
      at,
      outageStartedAt: new Date(at.getTime() - 75_000),
      language: AlertLanguage.En,
    }));
    const before = t.stack.smtp.messages.length;
    for (const n of notices) {
      expect((await local.notify({ ...n, idempotencyKey: `local-${n.kind}-${at.getTime()}` })).status).toBe('sent');
      expect((await remote.notify({ ...n, idempotencyKey: `remote-${n.kind}-${at.getTime()}` })).status).toBe('sent');
    }
    await local.close();
    await remote.close();
    const mails = await mailsSince(before, 'Garage nord', 4);
    expect(mails).toHaveLength(4);
    const pairs: [ReceivedMail, ReceivedMail][] = [
      [mails[0]!, mails[1]!],
      [mails[2]!, mails[3]!],
    ];
    for (const [l, r] of pairs) {
      expect(r.parsed.subject).toBe(l.parsed.subject);
      expect(comparable(r)).toEqual(comparable(l));
      expect(r.parsed.html ? 'html' : 'text').toBe(l.parsed.html ? 'html' : 'text');
    }
    // From the templates (subject and HTML), not the earlier plain sentence.
    expect(mails[1]!.parsed.subject).toBe('[Vigint] Camera offline — Garage nord');
    expect(mails[1]!.parsed.html).toBeTruthy();
    expect(mails[1]!.parsed.text).not.toMatch(/has sent no frames/);
  }, 120_000);
});
