import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  freePort,
  geminiReply,
  startFakeGemini,
  startSmtpServer,
  startTsxChild,
  startWorkerProcess,
  testRedisPrefix,
  waitForHealthy,
  workerEnv,
  type ChildService,
  type FakeGemini,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';

/*
 * api-proxy and the worker as child processes (the client is a lib: it never imports apps), on a fresh database and
 * Redis prefix, with an SMTP server and the fake Gemini server. Enough to check every client method on the wire.
 */

const REPO = resolve(import.meta.dirname, '../../../..');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SECRET = 'api-client-test-secret-0123456789';
/** ADMIN_KEY of the gateway (32+ bytes, apart from SECRET_KEY): admin routes accept nothing else. */
const ADMIN_KEY = 'api-client-test-admin-key-0123456789';

export interface GatewayStack {
  url: string;
  apiKey: string;
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  logs(): string;
  close(): Promise<void>;
}

export async function startGatewayStack(label: string): Promise<GatewayStack> {
  const prefix = testRedisPrefix(label);
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-client-store-'));
  const children: ChildService[] = [];
  const output = (): string => children.map((c) => c.output.join('')).join('');
  let database: TestDatabase | undefined;
  let smtp: TestSmtpServer | undefined;
  let gemini: FakeGemini | undefined;
  const close = async (): Promise<void> => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Promise.allSettled([smtp?.stop(), gemini?.close()]);
    await database?.drop();
    await cleanupRedisPrefix(REDIS_URL, prefix);
    await rm(storageDir, { recursive: true, force: true });
  };
  const start = (name: string, script: string, env: Record<string, string>): ChildService => {
    const child = startTsxChild(name, script, { env, cwd: REPO });
    children.push(child);
    return child;
  };
  try {
    database = await createTestDatabase(label);
    smtp = await startSmtpServer();
    gemini = await startFakeGemini({ apiKey: 'fake-key', defaultReply: geminiReply.noIncident() });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const common = {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
      STORAGE_BACKEND: 'disk',
      STORAGE_DIR: storageDir,
      SECRET_KEY: SECRET,
      ADMIN_KEY,
      PUBLIC_BASE_URL: url,
      LOG_LEVEL: 'warn',
    };
    children.push(
      startWorkerProcess(
        workerEnv(
          {
            redisUrl: REDIS_URL,
            prefix,
            databaseUrl: database.url,
            storageDir,
            secretKey: SECRET,
            publicBaseUrl: url,
            gemini,
            smtp,
          },
          { ADMIN_KEY, LOG_LEVEL: 'warn' },
        ),
      ),
    );
    const gateway = start('api-proxy', 'apps/api-proxy/src/main.ts', {
      ...common,
      PORT: String(port),
      HOST: '127.0.0.1',
      SYNC_WAIT_MS: '30000',
    });
    await waitForHealthy(url, gateway);
    const res = await fetch(`${url}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY },
      body: JSON.stringify({ name: 'Client test', email: 'owner@client.test' }),
    });
    if (res.status !== 201) throw new Error(`admin/clients ${res.status}: ${await res.text()}`);
    const { api_key: apiKey } = (await res.json()) as { api_key: string };
    return { url, apiKey, smtp, gemini, logs: output, close };
  } catch (err) {
    await close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${output()}`);
  }
}
