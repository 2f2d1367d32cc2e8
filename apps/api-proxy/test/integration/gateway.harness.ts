import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { cleanupRedisPrefix, createTestDatabase, testRedisPrefix, type TestDatabase } from '@vigint/testing';
import { REDACT_PATHS } from '@vigint/logger';
import { loadGatewayConfig, type GatewayConfig } from '../../src/config';
import { buildServer } from '../../src/server';

export const SECRET = 'test-secret-key-0123456789';
/** ADMIN_KEY of the harness gateways (32+ bytes, unlike SECRET_KEY). */
export const ADMIN = 'test-admin-key-0123456789abcdefghijkl';

export interface Harness {
  app: FastifyInstance;
  config: GatewayConfig;
  db: TestDatabase;
  prefix: string;
  storageDir: string;
  /** Every log line the gateway wrote (to grep for leaked keys). */
  logs: string[];
  close(): Promise<void>;
}

/** A gateway on a fresh database and Redis prefix, logs captured in memory. */
export async function startGateway(
  env: Record<string, string> = {},
  existing?: { db: TestDatabase; prefix: string; storageDir: string },
): Promise<Harness> {
  const db = existing?.db ?? (await createTestDatabase('gateway'));
  const prefix = existing?.prefix ?? testRedisPrefix('gateway');
  const storageDir = existing?.storageDir ?? (await mkdtemp(join(tmpdir(), 'vigint-gw-test-')));
  const config = loadGatewayConfig({
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    SECRET_KEY: SECRET,
    ADMIN_KEY: ADMIN,
    STORAGE_BACKEND: 'disk',
    STORAGE_DIR: storageDir,
    SYNC_WAIT_MS: '20000',
    LOG_LEVEL: 'info',
    EMAIL_TO: 'owner@example.com',
    // Most specs send many wrong keys from one address on purpose; the failed-auth throttle has its own spec.
    AUTH_FAIL_MAX: '100000',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      // GW_DEBUG=1 shows the gateway's errors while a test runs (they are otherwise only captured).
      if (process.env.GW_DEBUG && String(chunk).includes('"level":50')) process.stderr.write(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: '[Redacted]' } }, sink);
  const app = await buildServer({ config, logger });
  await app.ready();
  return {
    app,
    config,
    db,
    prefix,
    storageDir,
    logs,
    async close() {
      await app.close();
      if (!existing) {
        await cleanupRedisPrefix(prefix);
        await db.drop();
        await rm(storageDir, { recursive: true, force: true });
      }
    },
  };
}
