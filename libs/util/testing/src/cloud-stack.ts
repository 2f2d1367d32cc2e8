import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geminiReply, startFakeGemini, type FakeGemini, type FakeGeminiReply } from './fake-gemini';
import { createTestDatabase, type TestDatabase } from './postgres';
import { freePort, startTsxChild, waitForHealthy, type ChildService } from './process';
import { cleanupRedisPrefix, testRedisPrefix } from './redis';
import { startSmtpServer, type TestSmtpServer } from './smtp';
import { REPO_ROOT, startWorkerProcess, workerEnv, type WorkerProcess } from './worker-process';

/*
 * The cloud side as it is deployed: api-proxy gateways and workers as child processes (spawned by path: this lib
 * never imports app code) on their own PostgreSQL database and Redis prefix, with an SMTP server and the fake
 * Gemini server. One way to start it for every test that needs the real gateway and worker.
 */

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const GATEWAY_MAIN = 'apps/api-proxy/src/main.ts';

export interface CloudStackOptions {
  /** Names the database and the Redis prefix. */
  label: string;
  gateways?: number;
  workers?: number;
  /** The fake Gemini server's answer when a test has queued none (default: no incident). */
  geminiDefault?: FakeGeminiReply;
  /** SECRET_KEY (default a test value); ADMIN_KEY (32+ bytes, apart from it). */
  secretKey?: string;
  adminKey?: string;
  /** Variables each gateway / each worker gets on top of the stack's own. */
  gatewayEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Worker output chunks kept (a test that reads every log line wants them all). */
  workerKeepChunks?: number;
}

export interface CloudClient {
  apiKey: string;
  clientId: string;
  keyId: string;
}

export interface CloudStack {
  /** The first gateway's base URL; `urls` has them all, in order. */
  url: string;
  urls: string[];
  prefix: string;
  storageDir: string;
  database: TestDatabase;
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  secretKey: string;
  adminKey: string;
  /** Replaced in place by `restartGateway`. */
  gateways: ChildService[];
  workers: WorkerProcess[];
  /** POST /admin/clients on the first gateway. */
  createClient(name: string, email?: string): Promise<CloudClient>;
  /** Starts gateway `i` again on its port (after its `stop()`), healthy when it resolves. */
  restartGateway(i?: number): Promise<ChildService>;
  /** One more worker, ready when it resolves. */
  addWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  /** Every child's output, for a failing test's message. */
  logs(): string;
  close(): Promise<void>;
}

export async function startCloudStack(options: CloudStackOptions): Promise<CloudStack> {
  const {
    label,
    secretKey = `${label}-test-secret-0123456789`,
    adminKey = `${label}-test-admin-key-0123456789abcdef`,
  } = options;
  const prefix = testRedisPrefix(label);
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-cloud-store-'));
  const children: ChildService[] = [];
  let database: TestDatabase | undefined;
  let smtp: TestSmtpServer | undefined;
  let gemini: FakeGemini | undefined;
  const logs = (): string => children.map((c) => `--- ${c.name}\n${c.output.join('')}`).join('\n');
  const close = async (): Promise<void> => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Promise.allSettled([smtp?.stop(), gemini?.close()]);
    await database?.drop();
    await cleanupRedisPrefix(REDIS_URL, prefix);
    await rm(storageDir, { recursive: true, force: true });
  };
  try {
    database = await createTestDatabase(label);
    smtp = await startSmtpServer();
    gemini = await startFakeGemini({
      apiKey: 'fake-key',
      defaultReply: options.geminiDefault ?? geminiReply.noIncident(),
    });
    const ports = await Promise.all(Array.from({ length: options.gateways ?? 1 }, () => freePort()));
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const shared = { REDIS_URL, QUEUE_PREFIX: prefix, DATABASE_URL: database.url, SECRET_KEY: secretKey };
    const gatewayEnv = (i: number): Record<string, string> => ({
      ...shared,
      STORAGE_BACKEND: 'disk',
      STORAGE_DIR: storageDir,
      ADMIN_KEY: adminKey,
      PUBLIC_BASE_URL: urls[i]!,
      PORT: String(ports[i]),
      HOST: '127.0.0.1',
      SYNC_WAIT_MS: '30000',
      LOG_LEVEL: 'warn',
      ...options.gatewayEnv,
    });
    const startGateway = (i: number): ChildService => {
      const child = startTsxChild(urls.length > 1 ? `api-proxy-${i}` : 'api-proxy', GATEWAY_MAIN, {
        env: gatewayEnv(i),
        cwd: REPO_ROOT,
      });
      children.push(child);
      return child;
    };
    const services = { database, smtp, gemini };
    const startWorker = (extra: Record<string, string> = {}): WorkerProcess => {
      const env = workerEnv(
        {
          redisUrl: REDIS_URL,
          prefix,
          databaseUrl: services.database.url,
          storageDir,
          secretKey,
          publicBaseUrl: urls[0]!,
          gemini: services.gemini,
          smtp: services.smtp,
        },
        // At info: its "worker ready" line says when it takes jobs.
        { ADMIN_KEY: adminKey, LOG_LEVEL: 'info', ...options.workerEnv, ...extra },
      );
      const worker = startWorkerProcess(env, { keepChunks: options.workerKeepChunks });
      children.push(worker);
      return worker;
    };
    const workers = Array.from({ length: options.workers ?? 1 }, () => startWorker());
    const gateways = urls.map((_, i) => startGateway(i));
    for (let i = 0; i < urls.length; i++) await waitForHealthy(urls[i]!, gateways[i]!, 90_000);
    for (const w of workers) await w.ready(90_000);

    return {
      url: urls[0]!,
      urls,
      prefix,
      storageDir,
      database,
      smtp,
      gemini,
      secretKey,
      adminKey,
      gateways,
      workers,
      async createClient(name, email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@client.test`) {
        const res = await fetch(`${urls[0]}/admin/clients`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-admin-key': adminKey },
          body: JSON.stringify({ name, email }),
        });
        if (res.status !== 201) throw new Error(`admin/clients ${res.status}: ${await res.text()}`);
        const body = (await res.json()) as { api_key: string; client_id: string; api_key_id: string };
        return { apiKey: body.api_key, clientId: body.client_id, keyId: body.api_key_id };
      },
      async restartGateway(i = 0) {
        gateways[i] = startGateway(i);
        await waitForHealthy(urls[i]!, gateways[i]!, 90_000);
        return gateways[i]!;
      },
      async addWorker(extra) {
        const worker = startWorker(extra);
        workers.push(worker);
        await worker.ready(90_000);
        return worker;
      },
      logs,
      close,
    };
  } catch (err) {
    const out = logs();
    await close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${out.slice(-6000)}`);
  }
}
