import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertLanguage,
  AlertStatus,
  ErrorCode,
  IncidentType,
  JobName,
  JobState,
  RiskLevel,
  VideoFormat,
} from '@vigint/contracts';
import { geminiReply, makeJpegFrames } from '@vigint/testing';
import { startHarness, type Harness } from '../integration/worker-harness';
import { logsFor, sleep, startWorker, stopWorker, until, type RunningWorker } from './fault-kit';

/*
 * Issue 9, worker faults with the shared Redis and PostgreSQL (own prefix and database): a SIGKILL during an
 * analysis, SMTP down for a while, Gemini rate-limited or unavailable for a while, STORAGE_DIR full.
 */

const fast = { JOB_LOCK_MS: '3000', JOB_STALLED_INTERVAL_MS: '1000', LOG_LEVEL: 'info' };

describe('worker faults', () => {
  let h: Harness;
  const running: RunningWorker[] = [];
  const run = (env: Record<string, string> = {}) => {
    const w = startWorker({ ...h.env, ...fast, ...env });
    running.push(w);
    return w;
  };

  async function analyzeJob(label: string) {
    const frames = await makeJpegFrames(3, { width: 320, height: 240 });
    const keys = await h.blobs.putMany(frames, 900);
    return h.queue.enqueue(JobName.FrameAnalyze, {
      clientId: h.clientId,
      apiKeyId: h.apiKeyId,
      bufferType: 'short',
      frameBlobKeys: keys,
      language: AlertLanguage.En,
      cameraName: label,
    });
  }

  async function aiRequestsCounted(): Promise<number> {
    const rows = await h.db.usage.daily(h.apiKeyId, 1);
    return rows.filter((r) => r.endpoint === 'video/analyze').reduce((n, r) => n + r.aiRequests, 0);
  }

  beforeAll(async () => {
    h = await startHarness('faults');
  }, 60_000);

  afterEach(async () => {
    for (const w of running.splice(0)) await stopWorker(w);
    h.gemini.reset();
  });

  afterAll(async () => {
    for (const w of running.splice(0)) await stopWorker(w, 'SIGKILL');
    await h?.close();
  });

  it('SIGKILL during an analysis: rerun after restart, completed once, AI usage counted once', async () => {
    const before = await aiRequestsCounted();
    // The first Gemini call hangs long enough for the kill to land while it is in flight.
    h.gemini.setHandler((_req, index) =>
      index === 0 ? geminiReply.incident({}, { delayMs: 4_000 }) : geminiReply.incident(),
    );
    const { id } = await analyzeJob('kill-analysis');
    const first = run();
    await until('the Gemini request in flight', () => h.gemini.requestCount > 0);
    expect((await h.queue.getJob(id))?.state).toBe(JobState.Active);
    await stopWorker(first, 'SIGKILL');
    expect(logsFor(first, id, 'job completed')).toHaveLength(0);

    const second = run();
    const view = await h.queue.waitFor<JobName.FrameAnalyze>(id, 60_000);
    expect(view?.state).toBe(JobState.Completed);
    expect(view?.result?.incident).toBe(true);
    // The log line may reach us a moment after the completion event: wait for it (bounded), then count.
    await until('the completion log line', () => logsFor(second, id, 'job completed').length > 0, 10_000);
    expect(logsFor(second, id, 'job completed')).toHaveLength(1);
    expect(logsFor(second, id, 'job started')[0]?.attempt).toBe(2);
    // Only the finished run counts: the killed run's request never reached the usage table.
    const aiCalls = view!.result!.ai_calls.filter((c) => c.stage !== 'offline').length;
    expect(aiCalls).toBeGreaterThan(0);
    expect((await aiRequestsCounted()) - before).toBe(aiCalls);
  }, 120_000);

  it('SMTP down for ~15 s: the alert is delivered after it returns, exactly one e-mail', async () => {
    const w = run();
    await until('worker ready', () => w.lines.some((l) => l.msg === 'worker ready'));
    const before = h.smtp.messages.length;
    await h.smtp.down();
    const { id } = await h.queue.enqueue(JobName.AlertSend, {
      clientId: h.clientId,
      apiKeyId: h.apiKeyId,
      alertKey: 'smtp-outage-1',
      cameraName: 'yard',
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      analysis: 'Someone climbs the fence.',
      frameBlobKeys: [],
      language: AlertLanguage.En,
      occurredAt: new Date().toISOString(),
    });
    // At least one attempt fails against the closed port before the server comes back.
    await until('a failed send', () => logsFor(w, id, 'job failed, will retry if attempts remain').length > 0, 30_000);
    await sleep(15_000);
    expect(h.smtp.messages.length).toBe(before);
    await h.smtp.up();
    const view = await h.queue.waitFor<JobName.AlertSend>(id, 120_000);
    expect(view?.state).toBe(JobState.Completed);
    expect(view?.result?.status).toBe(AlertStatus.Delivered);
    await sleep(1_000);
    expect(h.smtp.messages.length - before).toBe(1);
    expect(w.alive).toBe(true);
  }, 180_000);

  for (const [label, outageReply] of [
    ['429 with retryDelay 1s', geminiReply.rateLimited('1s')],
    ['503', geminiReply.error(503)],
  ] as const) {
    it(`Gemini answering ${label} for ~6 s: requests stay bounded, backed off, and the analysis resumes`, async () => {
      const w = run();
      await until('worker ready', () => w.lines.some((l) => l.msg === 'worker ready'));
      let outageEnd = Number.POSITIVE_INFINITY;
      h.gemini.setHandler((req) => (req.at < outageEnd ? outageReply : geminiReply.incident()));
      const { id } = await analyzeJob(`gemini-${label}`);
      await until('the first refused request', () => h.gemini.requestCount > 0, 30_000);
      outageEnd = Date.now() + 6_000;
      const view = await h.queue.waitFor<JobName.FrameAnalyze>(id, 90_000);
      expect(view?.state).toBe(JobState.Completed);
      expect(view?.result?.incident).toBe(true);

      const during = h.gemini.requests.filter((r) => r.at < outageEnd);
      // 3 job attempts × 3 adapter requests is the most one analysis may send while the API refuses.
      expect(during.length).toBeGreaterThanOrEqual(2);
      expect(during.length).toBeLessThanOrEqual(9);
      if (label.startsWith('429')) {
        // retryDelay honoured: never asked again sooner than told (1 s), whatever the layer retrying.
        for (let i = 1; i < during.length; i++) {
          expect(during[i]!.at - during[i - 1]!.at).toBeGreaterThanOrEqual(950);
        }
      }
      expect(w.alive).toBe(true);
    }, 120_000);
  }
});

/** Root may mount a tmpfs: a real ENOSPC from the kernel, on a 256 KiB STORAGE_DIR. */
function canMount(): boolean {
  return process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
}

describe.skipIf(!canMount())('STORAGE_DIR full (256 KiB tmpfs)', () => {
  let h: Harness;
  let mnt: string;
  let w: RunningWorker | undefined;

  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'vigint-full-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    if (r.status !== 0) throw new Error(`mount failed: ${r.stderr}`);
    h = await startHarness('diskfull', { STORAGE_DIR: mnt });
  }, 60_000);

  afterAll(async () => {
    if (w) await stopWorker(w, 'SIGKILL');
    await h?.close();
    spawnSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('a video larger than the disk fails with STORAGE_FULL, leaves no artifact, and a small one still works', async () => {
    w = startWorker({ ...h.env, ...fast });
    // Noisy frames compress badly: the encoded video is well over 256 KiB.
    const frames = await makeJpegFrames(20, { width: 640, height: 480, noise: 60 });
    const keys = await h.blobs.putMany(
      Array.from({ length: 60 }, (_, i) => frames[i % frames.length]!),
      900,
    );
    const big = await h.queue.enqueue(JobName.VideoCreate, {
      clientId: h.clientId,
      apiKeyId: null,
      frameBlobKeys: keys,
      fps: 10,
      format: VideoFormat.Mp4,
      outputName: 'too-big.mp4',
    });
    const failed = await h.queue.waitFor<JobName.VideoCreate>(big.id, 90_000);
    expect(failed?.state).toBe(JobState.Failed);
    expect(failed?.error?.code).toBe(ErrorCode.StorageFull);
    expect(failed?.error?.error).toMatch(/storage is full/);
    expect(await h.db.artifacts.listForClient(h.clientId)).toHaveLength(0);
    // No partial file published, no temp file kept filling the disk.
    const list = async (sub: string) => {
      const dirs = await readdir(join(mnt, sub)).catch(() => [] as string[]);
      const out: string[] = [];
      for (const d of dirs) out.push(...(await readdir(join(mnt, sub, d)).catch(() => [d])));
      return out;
    };
    expect(await list('artifacts')).toEqual([]);
    expect(await readdir(join(mnt, 'tmp')).catch(() => [])).toEqual([]);

    const small = await makeJpegFrames(2, { width: 64, height: 48 });
    const ok = await h.queue.enqueue(JobName.VideoCreate, {
      clientId: h.clientId,
      apiKeyId: null,
      frameBlobKeys: await h.blobs.putMany(small, 900),
      fps: 2,
      format: VideoFormat.Mp4,
      outputName: 'small.mp4',
    });
    const done = await h.queue.waitFor<JobName.VideoCreate>(ok.id, 60_000);
    expect(done?.state).toBe(JobState.Completed);
    const rows = await h.db.artifacts.listForClient(h.clientId);
    expect(rows.map((r) => r.filename)).toEqual(['small.mp4']);
    expect(rows[0]!.bytes).toBe(done!.result!.sizeBytes);
    expect(w.alive).toBe(true);
  }, 150_000);
});
