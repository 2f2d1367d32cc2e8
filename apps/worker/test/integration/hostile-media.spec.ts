import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, ErrorCode, JobName, JobState, VideoFormat } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { makeBombPng, makeJpegFrames, makeTestVideo } from '@vigint/testing';
import { loadWorkerConfig } from '../../src/config';
import { startWorkers, type WorkerApp } from '../../src/workers';
import { startHarness, type Harness } from './worker-harness';

/*
 * Issue 9, hostile media reaching the worker (a stored "video" or buffered frames): each job ends — done or
 * failed with a clear error code — in bounded time, and a permanent error is not retried.
 */

const WAIT = 45_000;

/** Rewrites the durations in an MP4's mvhd/tkhd/mdhd boxes: a short file whose header claims 10 hours. */
function claimTenHours(file: Buffer): Buffer {
  const out = Buffer.from(file);
  const movieTimescale = out.readUInt32BE(out.indexOf('mvhd', 0, 'latin1') + 16);
  const patch = (box: string, durationAt: number, timescale: (i: number) => number) => {
    for (let i = out.indexOf(box, 0, 'latin1'); i >= 0; i = out.indexOf(box, i + 4, 'latin1')) {
      if (out[i + 4] === 0) out.writeUInt32BE(Math.min(0xffffffff, timescale(i) * 36_000), i + durationAt);
    }
  };
  patch('mvhd', 20, (i) => out.readUInt32BE(i + 16));
  patch('tkhd', 24, () => movieTimescale);
  patch('mdhd', 20, (i) => out.readUInt32BE(i + 16));
  return out;
}

describe('hostile media in worker jobs', () => {
  let h: Harness;
  let app: WorkerApp;
  const dirs: string[] = [];

  async function video(opts: Parameters<typeof makeTestVideo>[0]): Promise<Buffer> {
    const file = await makeTestVideo(opts);
    dirs.push(dirname(file));
    return readFile(file);
  }

  async function stored(label: string, data: Buffer): Promise<string> {
    const key = `upload-hostile-${label}`;
    const put = await app.store.put(key, data);
    const row = await h.db.artifacts.create({
      clientId: h.clientId,
      kind: 'upload',
      storageKey: key,
      bytes: put.bytes,
      sha256: put.sha256,
      mime: 'video/mp4',
    });
    return row.id;
  }

  beforeAll(async () => {
    h = await startHarness('hostile', { FFMPEG_TIMEOUT_MS: '30000' });
    app = await startWorkers(loadWorkerConfig(h.env), silentLogger);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await h?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('compressing a truncated MP4, a JPEG, a 10-hour header and a 1-frame video: done or a clear error, once', async () => {
    const good = await video({ seconds: 2, width: 320, height: 240 });
    const [jpeg] = await makeJpegFrames(1);
    const cases: Array<[string, Buffer]> = [
      ['truncated', good.subarray(0, Math.floor(good.length * 0.3))],
      ['jpeg', jpeg!],
      ['ten-hours', claimTenHours(good)],
      ['one-frame', await video({ seconds: 0.1, fps: 10, width: 320, height: 240 })],
    ];
    const outcomes: Record<string, string> = {};
    for (const [label, data] of cases) {
      const { id } = await h.queue.enqueue(JobName.VideoCompress, {
        clientId: h.clientId,
        apiKeyId: null,
        videoArtifactId: await stored(label, data),
        maxSizeBytes: 200_000,
        qualityReduction: 0.85,
        outputName: `${label}.mp4`,
      });
      const view = await h.queue.waitFor<JobName.VideoCompress>(id, WAIT);
      // Terminal in bounded time: never left active or retried forever.
      expect([JobState.Completed, JobState.Failed], label).toContain(view?.state);
      if (view?.state === JobState.Failed) {
        expect(view.error?.code, label).toBe(ErrorCode.InvalidVideo);
        expect(view.error?.error, label).toEqual(expect.any(String));
        // Permanent: failed at the first attempt, no retry of bad input.
        expect(view.attempts, label).toBe(1);
      } else {
        expect(view!.result!.compressedSize, label).toBeLessThanOrEqual(200_000);
      }
      outcomes[label] = view!.state === JobState.Failed ? view!.error!.code : 'completed';
    }
    expect(outcomes.truncated).toBe(ErrorCode.InvalidVideo);
    expect(outcomes.jpeg).toBe(ErrorCode.InvalidVideo);
  }, 180_000);

  it('a decompression-bomb PNG among frames: INVALID_IMAGE at once for analysis and video creation', async () => {
    const frames = await makeJpegFrames(2, { width: 160, height: 120 });
    const keys = await h.blobs.putMany([frames[0]!, makeBombPng(), frames[1]!], 900);
    const analyze = await h.queue.enqueue(JobName.FrameAnalyze, {
      clientId: h.clientId,
      apiKeyId: null,
      bufferType: 'short',
      frameBlobKeys: keys,
      language: AlertLanguage.En,
    });
    const create = await h.queue.enqueue(JobName.VideoCreate, {
      clientId: h.clientId,
      apiKeyId: null,
      frameBlobKeys: keys,
      fps: 2,
      format: VideoFormat.Mp4,
      outputName: 'bomb.mp4',
    });
    for (const id of [analyze.id, create.id]) {
      const view = await h.queue.waitFor(id, WAIT);
      expect(view?.state, id).toBe(JobState.Failed);
      expect(view?.error?.code, id).toBe(ErrorCode.InvalidImage);
      expect(view?.attempts, id).toBe(1);
    }
    // The fake Gemini never saw the bomb (nothing was sent for a batch with an invalid frame).
    expect(h.gemini.requests.every((r) => r.images.every((i) => i.bytes < 1_000_000))).toBe(true);
  }, 90_000);
});
