import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import {
  AppError,
  ErrorCode,
  JobName,
  JobState,
  QueueName,
  RiskLevel,
  IncidentType,
  AlertLanguage,
  type JobPayloadMap,
  type StorageCleanupResult,
} from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { BlobStore, JobQueue, createWorkers, type JobHandlers, type WorkerPool } from '../../src/index';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = testRedisPrefix('queue');

const ok = (cleaned: number): StorageCleanupResult => ({ cleaned, failed: 0, total: cleaned, bytesFreed: 0 });
const runs = new Map<string, number>();

const handlers: JobHandlers = {
  [JobName.FrameAnalyze]: async () => {
    throw new AppError(ErrorCode.InvalidImage, 'not an image', { field: 'frames.0' });
  },
  [JobName.VideoCreate]: async () => {
    throw new Error('unused');
  },
  [JobName.VideoCompress]: async () => {
    throw new Error('unused');
  },
  [JobName.NoticeSend]: async () => {
    throw new Error('unused');
  },
  [JobName.DigestRun]: async () => {
    throw new Error('unused');
  },
  [JobName.AlertSend]: async (data, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    return {
      alertId: data.alertKey,
      status: 'delivered' as never,
      to: 'x@example.com',
      attempts: ctx.attempt,
      clipAttached: false,
    };
  },
  [JobName.StorageCleanup]: async (data, ctx) => {
    // Transient on the first attempt: the retry must succeed.
    if (data.mode === 'old' && ctx.attempt === 1) throw new AppError(ErrorCode.DependencyUnavailable, 'db down');
    return ok(data.maxAgeHours ?? 1);
  },
  [JobName.ClientErase]: async () => {
    await new Promise((r) => setTimeout(r, 1500));
    return ok(7);
  },
};

describe('JobQueue + createWorkers (real Redis)', () => {
  let queue: JobQueue;
  let pool: WorkerPool;
  let redis: Redis;

  beforeAll(async () => {
    queue = new JobQueue({ redisUrl: REDIS_URL, prefix, log: silentLogger });
    pool = createWorkers({ redisUrl: REDIS_URL, prefix, log: silentLogger, handlers });
    await pool.waitUntilReady();
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await pool?.close();
    await queue?.close();
    redis?.disconnect();
    await cleanupRedisPrefix(REDIS_URL, prefix);
  });

  it('rejects an invalid payload before it reaches Redis, naming the field', async () => {
    const err = await queue
      .enqueue(JobName.StorageCleanup, { clientId: null, mode: 'sometimes' } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.ValidationFailed);
    expect((err as AppError).field).toBe('mode');
  });

  it('runs a job and returns its result through waitFor and getJob', async () => {
    const { id } = await queue.enqueue(JobName.StorageCleanup, { clientId: 'c1', mode: 'expired', maxAgeHours: 3 });
    const done = await queue.waitFor<JobName.StorageCleanup>(id, 10_000);
    expect(done).toMatchObject({ id, name: JobName.StorageCleanup, state: JobState.Completed, clientId: 'c1' });
    expect(done?.result).toEqual(ok(3));
    expect((await queue.getJob(id))?.state).toBe(JobState.Completed);
  });

  it('retries a transient failure', async () => {
    const { id } = await queue.enqueue(JobName.StorageCleanup, { clientId: 'c1', mode: 'old', maxAgeHours: 5 });
    // First backoff is 30 s ±50 %: promote the delayed retry instead of waiting for it.
    let view = await queue.waitFor(id, 2_000);
    const raw = new Queue(QueueName.Maintenance, { connection: { host: '127.0.0.1', port: 6379 }, prefix });
    try {
      for (let i = 0; i < 20 && view?.state !== JobState.Completed; i++) {
        const job = await raw.getJob(id);
        if ((await job?.getState()) === 'delayed') await job!.promote();
        view = await queue.waitFor(id, 1_000);
      }
    } finally {
      await raw.close();
    }
    expect(view?.state).toBe(JobState.Completed);
    // attemptsMade counts the failed run and the successful one.
    expect(view?.attempts).toBe(2);
    expect(view?.result).toEqual(ok(5));
  });

  it('turns a permanent AppError into a failed job carrying the same code and field, without retries', async () => {
    const data: JobPayloadMap[JobName.FrameAnalyze] = {
      clientId: 'c1',
      apiKeyId: null,
      bufferType: 'short',
      frameBlobKeys: [],
      language: AlertLanguage.En,
    };
    const { id } = await queue.enqueue(JobName.FrameAnalyze, data);
    const view = await queue.waitFor(id, 10_000);
    expect(view?.state).toBe(JobState.Failed);
    expect(view?.error).toEqual({ error: 'not an image', code: ErrorCode.InvalidImage, field: 'frames.0' });
    expect(view?.attempts).toBe(1);
  });

  it('waitFor returns the current state on timeout and keeps the job', async () => {
    const { id } = await queue.enqueue(JobName.ClientErase, { clientId: 'c9' });
    const early = await queue.waitFor(id, 200);
    expect([JobState.Waiting, JobState.Active]).toContain(early?.state);
    const late = await queue.waitFor<JobName.ClientErase>(id, 10_000);
    expect(late?.state).toBe(JobState.Completed);
    expect(late?.result?.cleaned).toBe(7);
  });

  it('absorbs a second alert with the same key: one job, one run', async () => {
    const data: JobPayloadMap[JobName.AlertSend] = {
      clientId: 'c1',
      apiKeyId: null,
      alertKey: 'incident-1',
      cameraName: 'cam',
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      analysis: 'x',
      frameBlobKeys: [],
      language: AlertLanguage.En,
      occurredAt: new Date().toISOString(),
    };
    const a = await queue.enqueue(JobName.AlertSend, data);
    await queue.waitFor(a.id, 10_000);
    const b = await queue.enqueue(JobName.AlertSend, data);
    expect(b.id).toBe(a.id);
    await queue.waitFor(b.id, 2_000);
    expect(runs.get(a.id)).toBe(1);
  });

  it('getJob and waitFor answer null for unknown or unsafe ids', async () => {
    expect(await queue.getJob('video-does-not-exist')).toBeNull();
    expect(await queue.getJob('1')).toBeNull();
    expect(await queue.waitFor('a:b', 100)).toBeNull();
  });

  it('upserts one job scheduler however often it is called', async () => {
    await queue.upsertJobScheduler(
      'storage-cleanup',
      JobName.StorageCleanup,
      { clientId: null, mode: 'expired' },
      60_000,
    );
    await queue.upsertJobScheduler(
      'storage-cleanup',
      JobName.StorageCleanup,
      { clientId: null, mode: 'expired' },
      60_000,
    );
    const keys = await redis.zrange(`${prefix}:maintenance:repeat`, 0, -1);
    expect(keys).toEqual(['storage-cleanup']);
    await queue.removeJobScheduler(JobName.StorageCleanup, 'storage-cleanup');
  });
});

describe('BlobStore', () => {
  it('stores bytes with a TTL and answers NOT_FOUND once gone', async () => {
    const redis = new Redis(REDIS_URL);
    const blobs = new BlobStore(redis, prefix);
    try {
      const bytes = Buffer.from([0, 1, 2, 255]);
      const [k1, k2] = await blobs.putMany([bytes, Buffer.from('two')], 60);
      expect(await blobs.get(k1!)).toEqual(bytes);
      expect((await blobs.getMany([k2!]))[0]!.toString()).toBe('two');
      expect(await redis.ttl(`${prefix}:blob:${k1}`)).toBeGreaterThan(0);
      await blobs.delete(k1!);
      await expect(blobs.get(k1!)).rejects.toMatchObject({ code: ErrorCode.NotFound });
      await expect(blobs.get('../etc')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    } finally {
      redis.disconnect();
    }
  });
});

describe('JobQueue with Redis down', () => {
  it('fails fast with DEPENDENCY_UNAVAILABLE', async () => {
    const q = new JobQueue({ redisUrl: 'redis://127.0.0.1:1', prefix, log: silentLogger, redisTimeoutMs: 1_000 });
    try {
      const err = await q.enqueue(JobName.ClientErase, { clientId: 'c' }).catch((e: unknown) => e);
      expect((err as AppError).code).toBe(ErrorCode.DependencyUnavailable);
      await expect(q.ping()).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
    } finally {
      await q.close();
    }
  });
});
