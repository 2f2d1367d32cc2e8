import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { AnalysisService } from '@vigint/alerting';
import { ClipService } from '@vigint/clip';
import { AlertLanguage, BufferType, JobName, JobState, VideoFormat } from '@vigint/contracts';
import { createDb } from '@vigint/db';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { DEFAULT_MODELS } from '@vigint/alerting';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import { BlobStore, JobQueue } from '@vigint/queue';
import { geminiReply, makeJpegFrames } from '@vigint/testing';
import { defineCase } from '../lib/bench-case';
import { FAKE_KEY, REDIS_URL, startServices, startWorkerApp } from '../lib/stack';
import { secondsSince } from '../lib/stats';

const AI_DELAY_MS = 1000;
const ANALYSIS_JOBS = 16;
const SEQUENTIAL_JOBS = 3;
const CLIP_JOBS = 4;
const CLIP_FRAMES = 50;
// The strict fake answers 404 to retired models: the current defaults, from the one place they are named.
const MODELS = DEFAULT_MODELS;

/**
 * Issue 8 §6: the worker app (child process, default concurrency) fed through JobQueue with real Redis,
 * PostgreSQL and ffmpeg; the fake Gemini answers every request after 1 s.
 * - FrameAnalyze jobs per second, 16 at once; baseline: the same analysis run one after another in
 *   process (AnalysisService + GeminiAdapter on the same fake), i.e. what a worker without concurrency does.
 * - VideoCreate jobs per minute (50 640x360 frames each), 4 at once; baseline: the same encodes in process
 *   one after another through ClipService (no queue, no Redis, no store).
 */
export default defineCase({
  name: 'worker-throughput',
  description: 'worker app: FrameAnalyze jobs/s with a 1 s AI reply, VideoCreate jobs/min at default concurrency',
  runs: 3,
  timeoutMs: 5 * 60_000,
  async setup(ctx) {
    const s = await startServices(ctx, 'worker', geminiReply.noIncident({ delayMs: AI_DELAY_MS }));
    const db = createDb(s.database.url, silentLogger);
    ctx.defer(() => db.close());
    const { client } = await db.clients.create({ name: 'Bench', email: 'bench@vigint.test' });
    const worker = await startWorkerApp(ctx, s);
    const concurrency = /"concurrency":(\{[^}]*\})/.exec(worker.output())?.[1];
    ctx.log(`worker ready, concurrency ${concurrency ?? '?'}`);
    const queue = new JobQueue({ redisUrl: REDIS_URL, prefix: s.prefix, log: silentLogger });
    ctx.defer(() => queue.close());
    const redis = new Redis(REDIS_URL);
    ctx.defer(() => redis.disconnect());
    const blobs = new BlobStore(redis, s.prefix);
    const image = new ImageAdapter();
    const analysis = new AnalysisService({
      provider: new GeminiAdapter({
        apiKey: FAKE_KEY,
        baseUrl: s.gemini.baseUrl,
        timeoutMs: 20_000,
        log: silentLogger,
      }),
      image,
      models: MODELS,
      log: silentLogger,
    });
    const clip = new ClipService(new FfmpegAdapter(silentLogger), silentLogger, image);
    const aiFrames = await makeJpegFrames(4, { width: 640, height: 360 });
    const clipFrames = await makeJpegFrames(CLIP_FRAMES, { width: 640, height: 360 });
    return { s, clientId: client.id, queue, blobs, analysis, clip, aiFrames, clipFrames, concurrency };
  },
  async run({ s, clientId, queue, blobs, analysis, clip, aiFrames, clipFrames, concurrency }, ctx, index) {
    // FrameAnalyze through the worker.
    const keys = await Promise.all(Array.from({ length: ANALYSIS_JOBS }, () => blobs.putMany(aiFrames, 600)));
    const before = s.gemini.requestCount;
    let t = performance.now();
    const ids = await Promise.all(
      keys.map(async (frameBlobKeys) => {
        const { id } = await queue.enqueue(JobName.FrameAnalyze, {
          clientId,
          apiKeyId: null,
          bufferType: 'short',
          frameBlobKeys,
          language: AlertLanguage.En,
        });
        return id;
      }),
    );
    const views = await Promise.all(ids.map((id) => queue.waitFor(id, 120_000)));
    const analysisSeconds = secondsSince(t);
    const failed = views.filter((v) => v?.state !== JobState.Completed);
    if (failed.length) throw new Error(`${failed.length} analysis jobs not completed: ${JSON.stringify(failed[0])}`);
    const aiCalls = s.gemini.requestCount - before;

    // The same analysis one after another, in process.
    t = performance.now();
    for (let i = 0; i < SEQUENTIAL_JOBS; i++) {
      await analysis.analyze({ frames: aiFrames, bufferType: BufferType.Short, language: AlertLanguage.En });
    }
    const sequentialRate = SEQUENTIAL_JOBS / secondsSince(t);

    // VideoCreate through the worker.
    const clipKeys = await Promise.all(Array.from({ length: CLIP_JOBS }, () => blobs.putMany(clipFrames, 600)));
    t = performance.now();
    const clipIds = await Promise.all(
      clipKeys.map(async (frameBlobKeys, i) => {
        const { id } = await queue.enqueue(JobName.VideoCreate, {
          clientId,
          apiKeyId: null,
          frameBlobKeys,
          fps: 5,
          format: VideoFormat.Mp4,
          outputName: `bench-${index}-${i}.mp4`,
        });
        return id;
      }),
    );
    const clipViews = await Promise.all(clipIds.map((id) => queue.waitFor(id, 180_000)));
    const clipSeconds = secondsSince(t);
    const clipFailed = clipViews.filter((v) => v?.state !== JobState.Completed);
    if (clipFailed.length)
      throw new Error(`${clipFailed.length} clip jobs not completed: ${JSON.stringify(clipFailed[0])}`);

    // The same encodes in process, one after another (two of them: the rate is what counts).
    t = performance.now();
    for (let i = 0; i < 2; i++) {
      const outFile = join(ctx.tmp, `direct-${index}-${i}.mp4`);
      await clip.framesToVideo(clipFrames, { fps: 5, format: VideoFormat.Mp4, outFile, signal: ctx.signal });
      await rm(outFile, { force: true });
    }
    const directClipRate = (2 / secondsSince(t)) * 60;

    return [
      {
        metric: 'worker.analysis-jobs',
        value: ANALYSIS_JOBS / analysisSeconds,
        unit: 'jobs/s',
        baseline: sequentialRate,
        goal: { on: 'ratio', op: '>=', target: 2 },
        detail: { jobs: ANALYSIS_JOBS, aiDelayMs: AI_DELAY_MS, aiCalls, concurrency },
      },
      {
        metric: 'worker.clip-jobs',
        value: (CLIP_JOBS / clipSeconds) * 60,
        unit: 'jobs/min',
        baseline: directClipRate,
        detail: { jobs: CLIP_JOBS, framesPerJob: CLIP_FRAMES, frameSize: '640x360', concurrency },
      },
    ];
  },
});
