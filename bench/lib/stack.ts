import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  startFakeGemini,
  startSmtpServer,
  testRedisPrefix,
  type FakeGemini,
  type FakeGeminiReply,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';
import type { BenchContext } from './bench-case';
import { startTsx, type Child } from './child-process';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const SECRET = 'bench-secret-key-0123456789';
/** ADMIN_KEY of the bench gateway (32+ bytes, apart from SECRET_KEY). */
export const ADMIN = 'bench-admin-key-0123456789abcdefghij';
export const FAKE_KEY = 'fake-key';

/** Everything the worker and the gateway need, each part real except Gemini; removed by the case's cleanups. */
export interface Services {
  prefix: string;
  database: TestDatabase;
  gemini: FakeGemini;
  smtp: TestSmtpServer;
  storageDir: string;
  /** Environment both apps share. */
  env: Record<string, string>;
}

export async function startServices(
  ctx: BenchContext,
  label: string,
  geminiDefault: FakeGeminiReply,
): Promise<Services> {
  const prefix = testRedisPrefix(`bench-${label}`);
  ctx.defer(() => cleanupRedisPrefix(REDIS_URL, prefix));
  const database = await createTestDatabase(`bench_${label}`);
  ctx.defer(() => database.drop());
  const gemini = await startFakeGemini({ apiKey: FAKE_KEY, defaultReply: geminiDefault });
  ctx.defer(() => gemini.close());
  const smtp = await startSmtpServer();
  ctx.defer(() => smtp.stop());
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-bench-store-'));
  ctx.defer(() => rm(storageDir, { recursive: true, force: true }));
  return {
    prefix,
    database,
    gemini,
    smtp,
    storageDir,
    env: {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
      STORAGE_BACKEND: 'disk',
      STORAGE_DIR: storageDir,
      SECRET_KEY: SECRET,
      ADMIN_KEY: ADMIN,
      PUBLIC_BASE_URL: 'http://127.0.0.1',
    },
  };
}

/** The worker app as a user runs it (`tsx apps/worker/src/main.ts`), ready once it logs "worker ready". */
export async function startWorkerApp(
  ctx: BenchContext,
  s: Services,
  extra: Record<string, string> = {},
): Promise<Child> {
  const child = startTsx('apps/worker/src/main.ts', [], {
    ...s.env,
    GOOGLE_API_KEY: FAKE_KEY,
    GEMINI_BASE_URL: s.gemini.baseUrl,
    GEMINI_TIMEOUT_MS: '20000',
    EMAIL_SMTP_SERVER: s.smtp.host,
    EMAIL_SMTP_PORT: String(s.smtp.port),
    EMAIL_FROM: 'Vigint <alerts@vigint.test>',
    EMAIL_TO: 'owner@example.com',
    CLEANUP_INTERVAL_MINUTES: '600',
    LOG_LEVEL: 'info',
    ...extra,
  });
  ctx.defer(() => child.stop(15_000));
  await child.waitFor(/worker ready/, 90_000);
  return child;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

/** The gateway (`tsx apps/api-proxy/src/main.ts`) on 127.0.0.1, ready once /api/health answers 200. */
export async function startGatewayApp(
  ctx: BenchContext,
  s: Services,
  extra: Record<string, string> = {},
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startTsx('apps/api-proxy/src/main.ts', [], {
    ...s.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: url,
    EMAIL_TO: 'owner@example.com',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  ctx.defer(() => child.stop(15_000));
  const end = Date.now() + 90_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`gateway not healthy after 90 s:\n${child.output().slice(-3000)}`);
    const code = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('wait'), 250))]);
    if (code !== 'wait') throw new Error(`gateway exited (${String(code)}):\n${child.output().slice(-3000)}`);
  }
  return { child, url };
}
