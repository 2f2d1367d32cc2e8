import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, AlertStatus, ErrorCode, IncidentType, JobName, JobState, RiskLevel } from '@vigint/contracts';
import { applyMigrations, createDb, type Db } from '@vigint/db';
import { silentLogger } from '@vigint/logger';
import { BlobStore, JobQueue } from '@vigint/queue';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  geminiReply,
  makeJpegFrames,
  startFakeGemini,
  startSmtpServer,
  testRedisPrefix,
  type FakeGemini,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';
import {
  sleep,
  startPrivatePostgres,
  startPrivateRedis,
  startWorker,
  stopWorker,
  until,
  type PrivatePostgres,
  type PrivateRedis,
  type RunningWorker,
} from './fault-kit';
import { harnessWorkerEnv } from '../integration/worker-harness';

/*
 * Issue 9: Redis and PostgreSQL restarted under a running worker. Both are private instances on free ports
 * (the shared 6379 / 5432 are never stopped); Redis runs with the persistence production needs.
 */

const SHARED_REDIS = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const fast = { JOB_LOCK_MS: '3000', JOB_STALLED_INTERVAL_MS: '1000', LOG_LEVEL: 'info' };

interface Stack {
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  storageDir: string;
  env: (redisUrl: string, databaseUrl: string, prefix: string) => Record<string, string>;
  close(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const smtp = await startSmtpServer();
  const gemini = await startFakeGemini({ apiKey: 'fake-key' });
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-restart-store-'));
  return {
    smtp,
    gemini,
    storageDir,
    env: (redisUrl, databaseUrl, prefix) => ({
      ...harnessWorkerEnv({ redisUrl, prefix, databaseUrl, storageDir, gemini, smtp }),
      ANALYSIS_CONCURRENCY: '2',
      ...fast,
    }),
    async close() {
      await Promise.allSettled([smtp.stop(), gemini.close()]);
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

function analyzePayload(clientId: string, apiKeyId: string | null, keys: string[], camera: string) {
  return {
    clientId,
    apiKeyId,
    bufferType: 'short' as const,
    frameBlobKeys: keys,
    language: AlertLanguage.En,
    cameraName: camera,
  };
}

describe('Redis restarted under the worker (private instance, appendonly + fsync always)', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  let database: TestDatabase;
  let db: Db;
  let queue: JobQueue;
  let blobRedis: Redis;
  let worker: RunningWorker | undefined;
  const prefix = testRedisPrefix('redis-restart');

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startStack();
    database = await createTestDatabase('redis_restart');
    db = createDb(database.url, silentLogger);
    queue = new JobQueue({ redisUrl: redis.url, prefix, log: silentLogger });
    blobRedis = new Redis(redis.url, { maxRetriesPerRequest: null });
    blobRedis.on('error', () => undefined);
  }, 60_000);

  afterAll(async () => {
    if (worker) await stopWorker(worker, 'SIGKILL');
    await queue?.close();
    blobRedis?.disconnect();
    await db?.close();
    await database?.drop();
    await stack?.close();
    await redis?.close();
    await cleanupRedisPrefix(SHARED_REDIS, prefix);
  });

  it('keeps running, reconnects, and finishes every accepted job (in flight and queued)', async () => {
    const { client, apiKey } = await db.clients.create({ name: 'Acme', email: 'owner@acme.test' });
    // Slow answers: jobs are in flight and others queued when Redis dies.
    stack.gemini.setDefault(geminiReply.incident({}, { delayMs: 1_000 }));
    worker = startWorker(stack.env(redis.url, database.url, prefix));
    await until('worker ready', () => worker!.lines.some((l) => l.msg === 'worker ready'), 60_000);

    const blobs = new BlobStore(blobRedis, prefix);
    const frames = await makeJpegFrames(2, { width: 160, height: 120 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const keys = await blobs.putMany(frames, 900);
      ids.push((await queue.enqueue(JobName.FrameAnalyze, analyzePayload(client.id, apiKey.id, keys, `cam-${i}`))).id);
    }
    await until('a job in flight', () => stack.gemini.requestCount > 0, 30_000);

    await redis.kill();
    // A producer fails fast (the gateway turns this into 503), it does not hang.
    const started = Date.now();
    await expect(
      queue.enqueue(JobName.FrameAnalyze, analyzePayload(client.id, null, ['k'], 'down')),
    ).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
    expect(Date.now() - started).toBeLessThan(10_000);
    await sleep(3_000);
    expect(worker.alive).toBe(true);
    await redis.start();

    // One more job after the restart: new work is taken as well.
    const keys = await until(
      'the producer to reconnect',
      () => blobs.putMany(frames, 900).catch(() => undefined),
      30_000,
    );
    // The producer reconnects in the background (≤ 2 s between tries): a few fast refusals, then accepted.
    const after = await until(
      'the producer to accept again',
      () =>
        queue.enqueue(JobName.FrameAnalyze, analyzePayload(client.id, apiKey.id, keys, 'after')).catch(() => undefined),
      30_000,
    );
    ids.push(after.id);

    for (const id of ids) {
      const view = await until(
        `job ${id} to finish`,
        async () => {
          const v = await queue.getJob(id).catch(() => null);
          return v && (v.state === JobState.Completed || v.state === JobState.Failed) ? v : undefined;
        },
        90_000,
      );
      expect({ id, state: view.state, error: view.error }).toEqual({ id, state: JobState.Completed, error: undefined });
    }
    expect(worker.alive).toBe(true);
  }, 180_000);
});

describe('PostgreSQL restarted under the worker (private cluster)', () => {
  let postgres: PrivatePostgres;
  let stack: Stack;
  let db: Db;
  let queue: JobQueue;
  let sharedRedis: Redis;
  let worker: RunningWorker | undefined;
  const prefix = testRedisPrefix('pg-restart');
  let databaseUrl: string;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE vigint');
    await admin.end();
    databaseUrl = postgres.urlFor('vigint');
    await applyMigrations(databaseUrl);
    stack = await startStack();
    db = createDb(databaseUrl, silentLogger);
    queue = new JobQueue({ redisUrl: SHARED_REDIS, prefix, log: silentLogger });
    sharedRedis = new Redis(SHARED_REDIS);
  }, 90_000);

  afterEach(() => undefined);

  afterAll(async () => {
    if (worker) await stopWorker(worker, 'SIGKILL');
    await queue?.close();
    sharedRedis?.disconnect();
    await db?.close();
    await stack?.close();
    await postgres?.close();
    await cleanupRedisPrefix(SHARED_REDIS, prefix);
  });

  async function aiRequests(apiKeyId: string): Promise<number> {
    const rows = await db.usage.daily(apiKeyId, 1);
    return rows.filter((r) => r.endpoint === 'video/analyze').reduce((n, r) => n + r.aiRequests, 0);
  }

  it('no process exits; usage counting and alert records recover; the alert is mailed once', async () => {
    const { client, apiKey } = await db.clients.create({ name: 'Acme', email: 'owner@acme.test' });
    stack.gemini.setDefault(geminiReply.incident());
    worker = startWorker(stack.env(SHARED_REDIS, databaseUrl, prefix));
    await until('worker ready', () => worker!.lines.some((l) => l.msg === 'worker ready'), 60_000);
    const blobs = new BlobStore(sharedRedis, prefix);
    const frames = await makeJpegFrames(2, { width: 160, height: 120 });

    const warm = await queue.enqueue(
      JobName.FrameAnalyze,
      analyzePayload(client.id, apiKey.id, await blobs.putMany(frames, 900), 'warm'),
    );
    expect((await queue.waitFor(warm.id, 30_000))?.state).toBe(JobState.Completed);
    const counted = await aiRequests(apiKey.id);
    expect(counted).toBeGreaterThan(0);

    // A crash (immediate: no checkpoint, recovery on start), with work arriving while it is down.
    postgres.stop('immediate');
    const analysis = await queue.enqueue(
      JobName.FrameAnalyze,
      analyzePayload(client.id, apiKey.id, await blobs.putMany(frames, 900), 'during'),
    );
    const alert = await queue.enqueue(JobName.AlertSend, {
      clientId: client.id,
      apiKeyId: apiKey.id,
      alertKey: 'pg-outage-1',
      cameraName: 'yard',
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      analysis: 'Someone climbs the fence.',
      frameBlobKeys: [],
      language: AlertLanguage.En,
      occurredAt: new Date().toISOString(),
    });
    await until(
      'a job failing on the database',
      () => worker!.lines.some((l) => l.msg === 'job failed, will retry if attempts remain'),
      30_000,
    );
    await sleep(2_000);
    expect(worker.alive).toBe(true);
    postgres.start();

    const a = await queue.waitFor<JobName.FrameAnalyze>(analysis.id, 60_000);
    expect(a?.error).toBeUndefined();
    expect(a?.state).toBe(JobState.Completed);
    const calls = a!.result!.ai_calls.filter((c) => c.stage !== 'offline').length;
    expect(await aiRequests(apiKey.id)).toBe(counted + calls);

    const m = await queue.waitFor<JobName.AlertSend>(alert.id, 90_000);
    expect(m?.state).toBe(JobState.Completed);
    expect(m?.result?.status).toBe(AlertStatus.Delivered);
    await sleep(1_000);
    expect(stack.smtp.messages).toHaveLength(1);
    const row = await db.alerts.findByIdempotencyKey(`${client.id}:pg-outage-1`);
    expect(row?.status).toBe('sent');
    expect(worker.alive).toBe(true);
  }, 240_000);
});
