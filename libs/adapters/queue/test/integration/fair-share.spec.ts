import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JobName, QueueName, type StorageCleanupResult } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { FairShare, JobQueue, createWorkers, type JobHandlers } from '../../src/index';

/*
 * Issue 14: fair scheduling across tenants on one queue (priority = 1 + the tenant's pending jobs) and
 * finished jobs kept per tenant, so a flood evicts only the flooder's results. Real Redis, test prefix.
 */
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = testRedisPrefix('fair');
const ok: StorageCleanupResult = { cleaned: 0, failed: 0, total: 0, bytesFreed: 0 };
const order: string[] = [];
const unused = async (): Promise<never> => {
  throw new Error('unused');
};
const handlers: JobHandlers = {
  [JobName.FrameAnalyze]: unused,
  [JobName.VideoCreate]: unused,
  [JobName.VideoCompress]: unused,
  [JobName.AlertSend]: unused,
  [JobName.NoticeSend]: unused,
  [JobName.StorageCleanup]: async (data) => {
    order.push(data.clientId ?? 'none');
    await new Promise((r) => setTimeout(r, 20));
    return ok;
  },
  [JobName.ClientErase]: unused,
  [JobName.DigestRun]: unused,
};

let queue: JobQueue;
let redis: Redis;
beforeAll(async () => {
  queue = new JobQueue({ redisUrl: REDIS_URL, prefix, log: silentLogger });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await cleanupRedisPrefix(REDIS_URL, prefix);
});

describe('fair share across tenants', () => {
  it("a flooding tenant's backlog does not delay another tenant's jobs, and evicts only its own results", async () => {
    const flood = [];
    for (let i = 0; i < 12; i++)
      flood.push(await queue.enqueue(JobName.StorageCleanup, { clientId: 'A', mode: 'all' }));
    const calm = [];
    for (let i = 0; i < 2; i++) calm.push(await queue.enqueue(JobName.StorageCleanup, { clientId: 'B', mode: 'all' }));
    const fair = new FairShare(redis, prefix);
    expect(await fair.pending(QueueName.Maintenance, 'A')).toBe(12);

    const pool = createWorkers({
      redisUrl: REDIS_URL,
      prefix,
      log: silentLogger,
      handlers,
      queues: [QueueName.Maintenance],
      resultsPerClient: 5,
    });
    try {
      await pool.waitUntilReady();
      await queue.waitFor(calm[1]!.id, 20_000);
      await queue.waitFor(flood[11]!.id, 20_000);
      // Without the rotation B would run 13th and 14th (FIFO); with it, B runs within the first four.
      const firstB = order.indexOf('B');
      const lastB = order.lastIndexOf('B');
      expect(order).toHaveLength(14);
      expect(lastB, order.join(',')).toBeLessThanOrEqual(3);
      expect(firstB).toBeGreaterThanOrEqual(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(await fair.pending(QueueName.Maintenance, 'A')).toBe(0);
      expect(await fair.pending(QueueName.Maintenance, 'B')).toBe(0);
      // Results: A keeps its last 5, B keeps both of its own.
      const q = new Queue(QueueName.Maintenance, { connection: redis, prefix });
      const done = await q.getJobs(['completed']);
      await q.close();
      const of = (t: string) => done.filter((j) => (j.data as { clientId: string }).clientId === t).map((j) => j.id);
      expect(of('B').sort()).toEqual(calm.map((j) => j.id).sort());
      expect(of('A').sort()).toEqual(
        flood
          .slice(-5)
          .map((j) => j.id)
          .sort(),
      );
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('self-heals: a job whose settling was lost (worker SIGKILLed) stops counting after its lease; a double completion or a re-added id counts once', async () => {
    const fair = new FairShare(redis, prefix, 1_000);
    const q = QueueName.Analysis;
    expect(await fair.priorityFor(q, 'K', 'analyze-killed')).toBe(1);
    expect(await fair.priorityFor(q, 'K', 'analyze-ok')).toBe(2);
    // The same id added again (a job absorbed by its id) is still one pending job.
    expect(await fair.priorityFor(q, 'K', 'analyze-ok')).toBe(2);
    // analyze-killed: incremented, never released. analyze-ok completes twice (a retried bookkeeping).
    await fair.done(q, 'K', 'analyze-ok');
    await fair.done(q, 'K', 'analyze-ok');
    expect(await fair.pending(q, 'K')).toBe(1);
    // A start renews a pending job's lease, never a settled one's.
    await fair.touch(q, 'K', 'analyze-ok');
    expect(await fair.pending(q, 'K')).toBe(1);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await fair.pending(q, 'K')).toBe(0);
    expect(await fair.priorityFor(q, 'K', 'analyze-next')).toBe(1);
  });

  it('a finished job enqueued again under its id (a re-sent alert) is not counted as pending', async () => {
    const pool = createWorkers({
      redisUrl: REDIS_URL,
      prefix,
      log: silentLogger,
      handlers,
      queues: [QueueName.Maintenance],
    });
    try {
      await pool.waitUntilReady();
      const first = await queue.enqueue(
        JobName.StorageCleanup,
        { clientId: 'R', mode: 'all' },
        { jobId: 'cleanup-again' },
      );
      expect((await queue.waitFor(first.id, 20_000))?.state).toBe('completed');
      const fair = new FairShare(redis, prefix);
      for (let i = 0; i < 50 && (await fair.pending(QueueName.Maintenance, 'R')) > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await fair.pending(QueueName.Maintenance, 'R')).toBe(0);
      const again = await queue.enqueue(
        JobName.StorageCleanup,
        { clientId: 'R', mode: 'all' },
        { jobId: 'cleanup-again' },
      );
      expect(again.id).toBe(first.id);
      expect(await fair.pending(QueueName.Maintenance, 'R')).toBe(0);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
