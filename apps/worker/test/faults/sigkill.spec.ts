import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, AlertStatus, IncidentType, JobName, JobState, RiskLevel, VideoFormat } from '@vigint/contracts';
import { makeJpegFrames } from '@vigint/testing';
import { startHarness, type Harness } from '../integration/worker-harness';
import { logsFor, startWorker, until, type RunningWorker } from './fault-kit';

function sigkill(w: RunningWorker): Promise<number | null> {
  process.kill(-w.proc.pid!, 'SIGKILL');
  return w.exited;
}

/** A VideoCreate job of `count` noisy 640×480 frames (cycling `distinct` of them), long enough to interrupt. */
async function enqueueClipJob(h: Harness, distinct: number, count: number, outputName: string): Promise<string> {
  const frames = await makeJpegFrames(distinct, { width: 640, height: 480, noise: 30 });
  const keys = await h.blobs.putMany(
    Array.from({ length: count }, (_, i) => frames[i % frames.length]!),
    900,
  );
  const { id } = await h.queue.enqueue(JobName.VideoCreate, {
    clientId: h.clientId,
    apiKeyId: null,
    frameBlobKeys: keys,
    fps: 10,
    format: VideoFormat.Mp4,
    outputName,
  });
  return id;
}

describe('a worker killed with SIGKILL mid-job', () => {
  let h: Harness;
  const running: RunningWorker[] = [];
  const fast = { JOB_LOCK_MS: '3000', JOB_STALLED_INTERVAL_MS: '1000', LOG_LEVEL: 'info' };

  beforeAll(async () => {
    h = await startHarness('sigkill');
  }, 60_000);

  afterEach(async () => {
    for (const w of running.splice(0)) {
      if (w.proc.exitCode === null && w.proc.signalCode === null) {
        process.kill(-w.proc.pid!, 'SIGTERM');
        await w.exited;
      }
    }
  });

  afterAll(async () => {
    await h?.close();
  });

  it('has its clip job picked up after restart and completed exactly once', async () => {
    // Enough frames that the encode is still running when the kill lands.
    const id = await enqueueClipJob(h, 40, 300, 'crash.mp4');

    const first = startWorker({ ...h.env, ...fast });
    running.push(first);
    await until('the job to start', () => logsFor(first, id, 'job started').length > 0);
    await new Promise((r) => setTimeout(r, 300));
    await sigkill(first);
    // Still active after the kill: the first run did not finish it (a dead worker cannot move it on).
    expect((await h.queue.getJob(id))?.state).toBe(JobState.Active);

    const second = startWorker({ ...h.env, ...fast });
    running.push(second);
    const view = await h.queue.waitFor<JobName.VideoCreate>(id, 90_000);
    expect(view?.error).toBeUndefined();
    expect(view?.state).toBe(JobState.Completed);
    expect(view?.result?.framesProcessed).toBe(300);
    // Log lines may trail the job's completion in Redis: wait for the line, then count.
    await until('the completion log', () => logsFor(second, id, 'job completed').length > 0);
    expect(logsFor(second, id, 'job completed')).toHaveLength(1);
    // The rerun knows it is one: attempt 2 in its log.
    expect(logsFor(second, id, 'job started')[0]?.attempt).toBe(2);
    // Exactly one video, whatever the first run left behind.
    const rows = (await h.db.artifacts.listForClient(h.clientId)).filter((a) => a.filename === 'crash.mp4');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(view!.result!.artifactId);
  }, 180_000);

  it('has its alert job sent once after restart, though SMTP hung during the first run', async () => {
    // An SMTP "server" that accepts and never answers: the first run hangs in the send.
    const sockets = new Set<Socket>();
    const hung: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const hungPort = (hung.address() as AddressInfo).port;
    try {
      const before = h.smtp.messages.length;
      const { id } = await h.queue.enqueue(JobName.AlertSend, {
        clientId: h.clientId,
        apiKeyId: null,
        alertKey: 'crash-alert-1',
        cameraName: 'gate',
        riskLevel: RiskLevel.High,
        incidentType: IncidentType.Intrusion,
        analysis: 'Someone forces the gate.',
        frameBlobKeys: [],
        language: AlertLanguage.En,
        occurredAt: new Date().toISOString(),
      });
      const first = startWorker({ ...h.env, ...fast, EMAIL_SMTP_PORT: String(hungPort), ALERT_CLAIM_LEASE_MS: '2000' });
      running.push(first);
      await until('the alert job to start', () => logsFor(first, id, 'job started').length > 0);
      await until('the SMTP connection', () => sockets.size > 0);
      await sigkill(first);
      expect((await h.queue.getJob(id))?.state).toBe(JobState.Active);

      const second = startWorker({ ...h.env, ...fast, ALERT_CLAIM_LEASE_MS: '2000' });
      running.push(second);
      const view = await h.queue.waitFor<JobName.AlertSend>(id, 90_000);
      expect(view?.state).toBe(JobState.Completed);
      expect(view?.result?.status).toBe(AlertStatus.Delivered);
      await new Promise((r) => setTimeout(r, 1000));
      expect(h.smtp.messages.length - before).toBe(1);
      await until('the completion log', () => logsFor(second, id, 'job completed').length > 0);
      expect(logsFor(second, id, 'job completed')).toHaveLength(1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    }
  }, 180_000);

  it('on SIGTERM finishes the running job, then exits 0', async () => {
    const id = await enqueueClipJob(h, 20, 200, 'graceful.mp4');
    const w = startWorker({ ...h.env, ...fast });
    running.push(w);
    await until('the job to start', () => logsFor(w, id, 'job started').length > 0);
    process.kill(w.proc.pid!, 'SIGTERM');
    expect(await w.exited).toBe(0);
    // The same process completed it before exiting: nothing left for another worker.
    expect(logsFor(w, id, 'job completed')).toHaveLength(1);
    expect((await h.queue.getJob(id))?.state).toBe(JobState.Completed);
    expect(w.lines.some((l) => l.msg === 'worker stopped')).toBe(true);
  }, 120_000);
});
