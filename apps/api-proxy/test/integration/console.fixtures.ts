import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '@vigint/config';
import { cleanupRedisPrefix, createTestDatabase, testRedisPrefix, type TestDatabase } from '@vigint/testing';
import { GatewayConfigSchema, type GatewayConfig } from '../../src/config';
import { buildServer } from '../../src/server';
import type { ConsoleStores } from '../../src/routes/console/console-data';

export const CONSOLE_SECRET = 'console-test-secret-0123456789-abcdefgh';
/** The integrator's key (ADMIN_KEY), distinct from the shared SECRET_KEY. */
export const CONSOLE_ADMIN_KEY = 'console-test-admin-key-0123456789-abcdefgh';

export interface ConsoleHarness {
  app: FastifyInstance;
  config: GatewayConfig;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A gateway on a fresh database and Redis prefix; `stores` replaces the incident store when given. */
export async function startConsoleGateway(
  stores?: (app: FastifyInstance) => ConsoleStores,
  env: Record<string, string> = {},
): Promise<ConsoleHarness> {
  const db = await createTestDatabase('console');
  const prefix = testRedisPrefix('console');
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-console-test-'));
  const config = loadConfig(GatewayConfigSchema, {
    DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: prefix,
    SECRET_KEY: CONSOLE_SECRET,
    VIDEO_LINK_SECRET: CONSOLE_SECRET,
    ADMIN_KEY: CONSOLE_ADMIN_KEY,
    STORAGE_BACKEND: 'disk',
    STORAGE_DIR: storageDir,
    LOG_LEVEL: 'warn',
    CONSOLE_SECURE_COOKIES: 'false',
    AUTH_FAIL_MAX: '1000',
    ...env,
  });
  const app = await buildServer({ config, logger: pino({ level: process.env.GW_DEBUG ? 'info' : 'silent' }) });
  if (stores) app.decorate('consoleStores', stores(app));
  await app.ready();
  return {
    app,
    config,
    db,
    async close() {
      await app.close();
      await cleanupRedisPrefix(prefix);
      await db.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** The cookies a response sets, as a Cookie header for the next request. */
export function cookieJar() {
  const jar = new Map<string, string>();
  return {
    take(setCookie: string | string[] | undefined) {
      for (const c of [setCookie ?? []].flat()) {
        const [pair] = c.split(';');
        const [name, ...v] = pair!.split('=');
        if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name!.trim());
        else jar.set(name!.trim(), v.join('='));
      }
    },
    header() {
      return [...jar.entries()].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    has(name: string) {
      return jar.has(name);
    },
  };
}

/** The `_csrf` value of the first form of a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in the page');
  return m[1]!;
}
