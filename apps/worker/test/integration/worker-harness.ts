import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createDb, type Db } from '@vigint/db';
import { silentLogger } from '@vigint/logger';
import { BlobStore, JobQueue } from '@vigint/queue';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  startFakeGemini,
  startSmtpServer,
  testRedisPrefix,
  workerEnv,
  type FakeGemini,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const SECRET = 'test-secret-key-123';

/** Real Redis (own prefix), PostgreSQL (own database), SMTP server, fake Gemini and a disk store folder. */
export interface Harness {
  prefix: string;
  database: TestDatabase;
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  storageDir: string;
  db: Db;
  queue: JobQueue;
  redis: Redis;
  blobs: BlobStore;
  clientId: string;
  apiKeyId: string;
  /** The worker's environment (what `tsx apps/worker/src/main.ts` would read). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** The worker's environment against the given services (what `tsx apps/worker/src/main.ts` reads). */
export function harnessWorkerEnv(o: {
  redisUrl: string;
  prefix: string;
  databaseUrl: string;
  storageDir: string;
  gemini: FakeGemini;
  smtp: TestSmtpServer;
}): Record<string, string> {
  return workerEnv({ ...o, secretKey: SECRET, publicBaseUrl: 'http://vigint.test' }, { GEMINI_TIMEOUT_MS: '5000' });
}

export async function startHarness(label: string, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const prefix = testRedisPrefix(label);
  const database = await createTestDatabase(label);
  const smtp = await startSmtpServer();
  const gemini = await startFakeGemini({ apiKey: 'fake-key' });
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-worker-store-'));
  const db = createDb(database.url, silentLogger);
  const created = await db.clients.create({ name: 'Acme', email: 'owner@acme.test' });
  const queue = new JobQueue({ redisUrl: REDIS_URL, prefix, log: silentLogger });
  const redis = new Redis(REDIS_URL);
  const env: Record<string, string> = {
    ...harnessWorkerEnv({ redisUrl: REDIS_URL, prefix, databaseUrl: database.url, storageDir, gemini, smtp }),
    LOG_LEVEL: 'silent',
    ...extraEnv,
  };
  return {
    prefix,
    database,
    smtp,
    gemini,
    storageDir,
    db,
    queue,
    redis,
    blobs: new BlobStore(redis, prefix),
    clientId: created.client.id,
    apiKeyId: created.apiKey.id,
    env,
    async close() {
      await queue.close();
      redis.disconnect();
      await db.close();
      await Promise.allSettled([smtp.stop(), gemini.close()]);
      await database.drop();
      await cleanupRedisPrefix(REDIS_URL, prefix);
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
