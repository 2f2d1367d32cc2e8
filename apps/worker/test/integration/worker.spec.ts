import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertLanguage,
  AlertStatus,
  ErrorCode,
  IncidentType,
  JobName,
  JobState,
  QueueName,
  RiskLevel,
  VideoFormat,
  type AlertSendPayload,
} from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { Queue, type Job } from 'bullmq';
import pg from 'pg';
import { BlobStore, ClientStateStore } from '@vigint/queue';
import { geminiReply, makeJpegFrames, makeTestVideo } from '@vigint/testing';
import { loadWorkerConfig } from '../../src/config';
import { startWorkers, type WorkerApp } from '../../src/workers';
import { startHarness, type Harness } from './worker-harness';

const WAIT = 45_000;

describe('worker end to end (Redis, PostgreSQL, ffmpeg, SMTP, fake Gemini)', () => {
  let h: Harness;
  let app: WorkerApp;
  let frames: Buffer[];

  beforeAll(async () => {
    h = await startHarness('worker');
    app = await startWorkers(loadWorkerConfig(h.env), silentLogger);
    frames = await makeJpegFrames(10, { width: 320, height: 240 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  it('VideoCreate: frames from Redis → MP4 in the store, artifact row with the retention expiry', async () => {
    const keys = await h.blobs.putMany(frames, 600);
    const { id } = await h.queue.enqueue(JobName.VideoCreate, {
      clientId: h.clientId,
      apiKeyId: h.apiKeyId,
      frameBlobKeys: keys,
      fps: 5,
      format: VideoFormat.Mp4,
      outputName: 'clip.mp4',
    });
    const view = await h.queue.waitFor<JobName.VideoCreate>(id, WAIT);
    expect(view?.error).toBeUndefined();
    expect(view?.state).toBe(JobState.Completed);
    const r = view!.result!;
    expect(r.framesProcessed).toBe(10);
    expect(r.width).toBe(320);
    expect(r.durationSeconds).toBeGreaterThan(1.5);
    const row = await h.db.artifacts.findForClient(h.clientId, r.artifactId);
    expect(row?.bytes).toBe(r.sizeBytes);
    expect(row?.mime).toBe('video/mp4');
    const hours = (row!.expiresAt!.getTime() - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71);
    expect(hours).toBeLessThanOrEqual(72);
    expect((await app.store.stat(row!.storageKey))?.bytes).toBe(r.sizeBytes);
    const usage = await h.db.usage.daily(h.apiKeyId);
    expect(usage.find((u) => u.endpoint === 'video/create')?.bytesOut).toBe(r.sizeBytes);
  });

  it('VideoCreate with a frame that is not an image fails at once with INVALID_IMAGE', async () => {
    const keys = await h.blobs.putMany([frames[0]!, Buffer.from('not a jpeg at all')], 600);
    const { id } = await h.queue.enqueue(JobName.VideoCreate, {
      clientId: h.clientId,
      apiKeyId: null,
      frameBlobKeys: keys,
      fps: 5,
      format: VideoFormat.Mp4,
      outputName: 'bad.mp4',
    });
    const view = await h.queue.waitFor(id, WAIT);
    expect(view?.state).toBe(JobState.Failed);
    expect(view?.error?.code).toBe(ErrorCode.InvalidImage);
    expect(view?.attempts).toBe(1);
  });

  it('VideoCompress: a stored video comes back under the size limit with its duration', async () => {
    const file = await makeTestVideo({ seconds: 4, width: 640, height: 360, bitrate: '2M', noise: 20 });
    try {
      const put = await app.store.put('upload-compress-test-1', createReadStream(file));
      const src = await h.db.artifacts.create({
        clientId: h.clientId,
        kind: 'upload',
        storageKey: 'upload-compress-test-1',
        bytes: put.bytes,
        sha256: put.sha256,
        mime: 'video/mp4',
      });
      const maxSizeBytes = Math.floor(put.bytes / 4);
      const { id } = await h.queue.enqueue(JobName.VideoCompress, {
        clientId: h.clientId,
        apiKeyId: h.apiKeyId,
        videoArtifactId: src.id,
        maxSizeBytes,
        qualityReduction: 0.85,
        outputName: 'small.mp4',
      });
      const view = await h.queue.waitFor<JobName.VideoCompress>(id, WAIT);
      expect(view?.error).toBeUndefined();
      const r = view!.result!;
      expect(r.originalSize).toBe(put.bytes);
      expect(r.compressedSize).toBeLessThanOrEqual(maxSizeBytes);
      expect(r.sizeBytes).toBe(r.compressedSize);
      expect(Math.abs(r.durationSeconds - 4)).toBeLessThan(0.5);
      expect((await h.db.artifacts.findById(r.artifactId))?.bytes).toBe(r.compressedSize);
    } finally {
      await rm(dirname(file), { recursive: true, force: true });
    }
  });

  it('VideoCompress of another client’s video is NOT_FOUND, not retried', async () => {
    const { id } = await h.queue.enqueue(JobName.VideoCompress, {
      clientId: h.clientId,
      apiKeyId: null,
      videoArtifactId: '00000000-0000-4000-8000-000000000000',
      maxSizeBytes: 100_000,
      qualityReduction: 0.85,
      outputName: 'x.mp4',
    });
    const view = await h.queue.waitFor(id, WAIT);
    expect(view?.state).toBe(JobState.Failed);
    expect(view?.error).toMatchObject({ code: ErrorCode.NotFound, field: 'videoArtifactId' });
  });

  it('FrameAnalyze: screen says incident, confirm says no → flash_veto, both calls counted', async () => {
    h.gemini.reset();
    h.gemini.enqueue(geminiReply.incident(), geminiReply.noIncident());
    const keys = await h.blobs.putMany(frames.slice(0, 3), 600);
    const { id } = await h.queue.enqueue(JobName.FrameAnalyze, {
      clientId: h.clientId,
      apiKeyId: h.apiKeyId,
      bufferType: 'short',
      frameBlobKeys: keys,
      language: AlertLanguage.En,
      cameraName: 'yard',
    });
    const view = await h.queue.waitFor<JobName.FrameAnalyze>(id, WAIT);
    expect(view?.error).toBeUndefined();
    const r = view!.result!;
    expect(r.flash_veto).toBe(true);
    expect(r.flash_confirmation).toBe(false);
    expect(r.incident).toBe(false);
    expect(r.ai_calls).toHaveLength(2);
    expect(h.gemini.requestCount).toBe(2);
    const usage = (await h.db.usage.daily(h.apiKeyId)).find((u) => u.endpoint === 'video/analyze');
    expect(usage?.aiRequests).toBe(2);
    expect(usage?.inputTokens).toBe(r.ai_calls.reduce((n, c) => n + c.usage.prompt_tokens, 0));
  });

  it('FrameAnalyze: a long buffer confirmed by the second model is an incident', async () => {
    h.gemini.reset();
    h.gemini.enqueue(geminiReply.incident(), geminiReply.incident({ risk_level: 'CRITICAL' }));
    const keys = await h.blobs.putMany(frames, 600);
    const { id } = await h.queue.enqueue(JobName.FrameAnalyze, {
      clientId: h.clientId,
      apiKeyId: null,
      bufferType: 'long',
      frameBlobKeys: keys,
      language: AlertLanguage.Fr,
    });
    const r = (await h.queue.waitFor<JobName.FrameAnalyze>(id, WAIT))!.result!;
    expect(r).toMatchObject({
      incident: true,
      flash_confirmation: true,
      flash_veto: false,
      risk_level: RiskLevel.Critical,
    });
    expect(r.frame_count).toBe(10);
    expect(h.gemini.requests[0]!.images.length).toBeLessThanOrEqual(3);
  });

  it('FrameAnalyze whose frames expired fails with NOT_FOUND', async () => {
    const { id } = await h.queue.enqueue(JobName.FrameAnalyze, {
      clientId: h.clientId,
      apiKeyId: null,
      bufferType: 'short',
      frameBlobKeys: ['blob-00000000-0000-0000-0000-000000000000'],
      language: AlertLanguage.En,
    });
    const view = await h.queue.waitFor(id, WAIT);
    expect(view?.state).toBe(JobState.Failed);
    expect(view?.error?.code).toBe(ErrorCode.NotFound);
  });

  it('AlertSend: the same alert sent twice gives one e-mail, to the client, with the signed link', async () => {
    const video = await h.db.artifacts.findForClient(
      h.clientId,
      (await h.db.artifacts.listForClient(h.clientId))[0]!.id,
    );
    const data: AlertSendPayload = {
      clientId: h.clientId,
      apiKeyId: h.apiKeyId,
      alertKey: 'incident-77',
      cameraName: 'front door',
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      analysis: 'A person climbs over the fence.',
      videoArtifactId: video!.id,
      frameBlobKeys: await h.blobs.putMany(frames.slice(0, 3), 600),
      language: AlertLanguage.En,
      occurredAt: new Date().toISOString(),
    };
    const before = h.smtp.messages.length;
    const first = await h.queue.enqueue(JobName.AlertSend, data);
    const a = await h.queue.waitFor<JobName.AlertSend>(first.id, WAIT);
    expect(a?.error).toBeUndefined();
    expect(a?.result).toMatchObject({ status: AlertStatus.Delivered, to: 'owner@acme.test', alertId: 'incident-77' });
    expect(a?.result?.videoUrl).toMatch(new RegExp(`^http://vigint.test/video/${video!.id}\\?token=`));

    // The same request again: same job id (absorbed by the queue)...
    expect((await h.queue.enqueue(JobName.AlertSend, data)).id).toBe(first.id);
    // ...and a different job for the same key (a re-sent request after the job was removed): the ledger.
    const again = await h.queue.enqueue(JobName.AlertSend, data, { jobId: 'alert-resend-test' });
    const b = await h.queue.waitFor<JobName.AlertSend>(again.id, WAIT);
    expect(b?.result?.status).toBe(AlertStatus.Delivered);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.smtp.messages.length - before).toBe(1);
    const mail = h.smtp.messages[before]!;
    expect(mail.envelope.to).toEqual(['owner@acme.test']);
    expect(mail.parsed.text).toContain(a!.result!.videoUrl!.slice(0, 40));
    const usage = (await h.db.usage.daily(h.apiKeyId)).find((u) => u.endpoint === 'video/alert');
    expect(usage?.alertsSent).toBe(1);
  });

  it('AlertSend with SMTP down: the job retries with backoff and mails once SMTP is back', async () => {
    const before = h.smtp.messages.length;
    await h.smtp.down();
    try {
      const { id } = await h.queue.enqueue(JobName.AlertSend, {
        clientId: h.clientId,
        apiKeyId: null,
        alertKey: 'incident-smtp-down',
        cameraName: 'back yard',
        riskLevel: RiskLevel.Critical,
        incidentType: IncidentType.FireSmoke,
        analysis: 'Smoke rises from the shed.',
        frameBlobKeys: [],
        language: AlertLanguage.Fr,
        occurredAt: new Date().toISOString(),
      });
      // The first attempt fails on the refused connection and waits for its backoff.
      let view = await h.queue.waitFor(id, 3_000);
      for (let i = 0; i < 100 && view?.state !== JobState.Delayed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        view = await h.queue.getJob(id);
      }
      expect(view?.state).toBe(JobState.Delayed);
      expect(view?.attempts).toBe(1);
      await h.smtp.up();
      const done = await h.queue.waitFor<JobName.AlertSend>(id, 30_000);
      expect(done?.state).toBe(JobState.Completed);
      expect(done?.result?.status).toBe(AlertStatus.Delivered);
      expect(done?.result?.attempts).toBe(2);
      expect(h.smtp.messages.length - before).toBe(1);
    } finally {
      if (!h.smtp.isUp) await h.smtp.up();
    }
  });

  it('StorageCleanup expired: removes expired artifacts (row and bytes), keeps the rest', async () => {
    await app.store.put('video-expired-test-1', Buffer.alloc(1000, 1));
    const expired = await h.db.artifacts.create({
      clientId: h.clientId,
      kind: 'video',
      storageKey: 'video-expired-test-1',
      bytes: 1000,
      sha256: 'x',
      mime: 'video/mp4',
      expiresAt: new Date(Date.now() - 1000),
    });
    const keep = (await h.db.artifacts.listForClient(h.clientId)).filter((a) => a.id !== expired.id).length;
    const { id } = await h.queue.enqueue(JobName.StorageCleanup, { clientId: null, mode: 'expired' });
    const view = await h.queue.waitFor<JobName.StorageCleanup>(id, WAIT);
    expect(view?.result).toMatchObject({ cleaned: 1, failed: 0, total: 1, bytesFreed: 1000 });
    expect(await h.db.artifacts.findById(expired.id)).toBeNull();
    expect(await app.store.stat('video-expired-test-1')).toBeNull();
    expect((await h.db.artifacts.listForClient(h.clientId)).length).toBe(keep);
  });

  it('the retention cleanup and the daily digest are scheduled as one repeatable job each', async () => {
    const schedulers = await h.redis.zrange(`${h.prefix}:maintenance:repeat`, 0, -1);
    expect(schedulers.sort()).toEqual(['daily-digest', 'storage-cleanup-expired']);
  });

  it('ClientErase leaves nothing of the client: videos, frames and blobs, video pages, incidents and alerts, jobs', async () => {
    const rows = await h.db.artifacts.listForClient(h.clientId);
    expect(rows.length).toBeGreaterThan(0);
    const cid = h.clientId;
    const other = (await h.db.clients.create({ name: 'Other', email: 'other@erase.test' })).client.id;
    const blobs = new BlobStore(h.redis, h.prefix, { maxBytes: 50 * 1024 * 1024, maxBlobs: 100 });
    const state = new ClientStateStore({ redis: h.redis, prefix: h.prefix, ttlSeconds: 600, maxFrames: 8, blobs });
    const upload = { artifactId: rows[0]!.id, filename: 'a.mp4', sizeBytes: 1, durationSeconds: 1, frameCount: 1 };
    await state.setLastUpload(cid, { ...upload, uploadedAt: new Date().toISOString() });
    const buffered = await blobs.putMany(frames.slice(0, 3), 600, cid);
    await state.pushFrames(cid, 'cam', buffered);
    await state.getFrames(cid, 'cam', 2); // held for a job
    const loose = await blobs.putMany(frames.slice(3, 4), 600, cid);
    const meta = { analysis: 'A person at the gate', riskLevel: 'high', incidentType: 'intrusion', cameraName: 'gate' };
    await state.setVideoMeta(rows[0]!.id, { ...meta, occurredAt: new Date().toISOString() }, 600);
    const othersBlob = await blobs.putMany(frames.slice(0, 1), 600, other);
    const othersJob = await h.queue.enqueue(JobName.StorageCleanup, { mode: 'expired', clientId: other });
    await h.queue.waitFor(othersJob.id, WAIT);
    const sql = new pg.Client({ connectionString: h.database.url });
    await sql.connect();
    const countRows = async (table: string, id: string) =>
      Number((await sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE client_id = $1`, [Number(id)])).rows[0].n);
    try {
      expect(await countRows('alerts', cid)).toBeGreaterThan(0);
      expect((await clientJobs(cid)).length).toBeGreaterThan(3);

      const { id } = await h.queue.enqueue(JobName.ClientErase, { clientId: cid });
      const view = await h.queue.waitFor<JobName.ClientErase>(id, WAIT);
      expect(view?.result).toMatchObject({ cleaned: rows.length, failed: 0, total: rows.length });
      for (const r of rows) expect(await app.store.stat(r.storageKey)).toBeNull();
      // PostgreSQL: no footage row, incident, alert or notice of the client.
      for (const table of ['artifacts', 'incidents', 'alerts', 'notice_deliveries']) {
        expect(await countRows(table, cid), table).toBe(0);
      }
      // Redis: no key of the client under the prefix (rate counters excepted: no data, they expire in their window)...
      const left = (await scanKeys(`${h.prefix}:*`)).filter(
        (k) => k.split(':').includes(cid) && !k.includes(':limit:'),
      );
      expect(left).toEqual([]);
      for (const k of [...buffered, ...loose])
        await expect(h.blobs.get(k)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await state.getVideoMeta(rows[0]!.id)).toBeNull();
      expect(await state.getLastUpload(cid)).toBeNull();
      // ...and no job of the client but the erase job itself.
      expect((await clientJobs(cid)).map((j) => j.name)).toEqual([JobName.ClientErase]);
      // The other client keeps its blob and its job.
      expect((await h.blobs.get(othersBlob[0]!)).length).toBe(frames[0]!.length);
      expect(await h.queue.getJob(othersJob.id)).not.toBeNull();
    } finally {
      await sql.end();
    }
  });

  async function scanKeys(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await h.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out;
  }

  /** Every job of any queue and state whose data names the client. */
  async function clientJobs(clientId: string): Promise<Job[]> {
    const out: Job[] = [];
    for (const name of Object.values(QueueName)) {
      const q = new Queue(name, { connection: h.redis, prefix: h.prefix });
      const jobs = await q.getJobs(['completed', 'failed', 'wait', 'delayed', 'prioritized', 'paused', 'active']);
      out.push(...jobs.filter((j) => (j?.data as { clientId?: string })?.clientId === clientId));
      await q.close();
    }
    return out;
  }
});
