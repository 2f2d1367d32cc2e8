import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  geminiReply,
  startFakeGemini,
  startSmtpServer,
  testRedisPrefix,
  type FakeGemini,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';

/*
 * The whole distributed stack for the edge agent's tests, each part real except Gemini: api-proxy and the worker as
 * child processes (tsx, as `nx serve` runs them; the agent must not import them), a fresh PostgreSQL database and
 * Redis prefix, an SMTP server and the fake Gemini REST server.
 */

export const REPO = resolve(import.meta.dirname, '../../../..');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const SECRET = 'distributed-test-secret-0123456789';

export interface ChildService {
  readonly name: string;
  readonly output: string[];
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface DistributedStack {
  gatewayUrl: string;
  apiKey: string;
  smtp: TestSmtpServer;
  gemini: FakeGemini;
  gateway: ChildService;
  worker: ChildService;
  /** Starts the gateway again on the same port (after `gateway.stop()`). */
  restartGateway(): Promise<void>;
  /** Child output, for a failing test's message. */
  logs(): string;
  close(): Promise<void>;
}

export function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  cwd = REPO,
  args: string[] = [],
): ChildService {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 400) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    name,
    output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

export async function waitForHealthy(url: string, service: ChildService, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < end) {
    if (exited) throw new Error(`${service.name} exited:\n${service.output.join('')}`);
    try {
      const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not healthy after ${timeoutMs} ms:\n${service.output.join('')}`);
}

export async function startDistributedStack(label: string): Promise<DistributedStack> {
  const prefix = testRedisPrefix(label);
  let database: TestDatabase | undefined;
  let smtp: TestSmtpServer | undefined;
  let gemini: FakeGemini | undefined;
  const children: ChildService[] = [];
  const storageDir = await mkdtemp(join(tmpdir(), 'vigint-dist-store-'));
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled(children.map((c) => c.stop()));
    await Promise.allSettled([smtp?.stop(), gemini?.close()]);
    await database?.drop();
    await cleanupRedisPrefix(REDIS_URL, prefix);
    await rm(storageDir, { recursive: true, force: true });
  };
  try {
    database = await createTestDatabase(label);
    smtp = await startSmtpServer();
    gemini = await startFakeGemini({ apiKey: 'fake-key', defaultReply: geminiReply.incident() });
    const port = await freePort();
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const common = {
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
      STORAGE_BACKEND: 'disk',
      STORAGE_DIR: storageDir,
      SECRET_KEY: SECRET,
      PUBLIC_BASE_URL: gatewayUrl,
      LOG_LEVEL: 'warn',
    };
    const workerEnv = {
      ...common,
      GOOGLE_API_KEY: 'fake-key',
      GEMINI_BASE_URL: gemini.baseUrl,
      GEMINI_TIMEOUT_MS: '10000',
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: String(smtp.port),
      EMAIL_FROM: 'Vigint <alerts@vigint.test>',
      MEDIA_CONCURRENCY: '1',
    };
    const gatewayEnv = {
      ...common,
      PORT: String(port),
      HOST: '127.0.0.1',
      SYNC_WAIT_MS: '30000',
      EMAIL_TO: 'owner@example.com',
    };
    const worker = startChild('worker', 'apps/worker/src/main.ts', workerEnv);
    children.push(worker);
    let gateway = startChild('api-proxy', 'apps/api-proxy/src/main.ts', gatewayEnv);
    children.push(gateway);
    await waitForHealthy(gatewayUrl, gateway);

    const created = await fetch(`${gatewayUrl}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': SECRET },
      body: JSON.stringify({ name: 'Acme shop', email: 'owner@acme.test' }),
    });
    if (created.status !== 201) throw new Error(`admin/clients: ${created.status} ${await created.text()}`);
    const { api_key: apiKey } = (await created.json()) as { api_key: string };

    const stack: DistributedStack = {
      gatewayUrl,
      apiKey,
      smtp,
      gemini,
      get gateway() {
        return gateway;
      },
      worker,
      async restartGateway() {
        gateway = startChild('api-proxy', 'apps/api-proxy/src/main.ts', gatewayEnv);
        children.push(gateway);
        await waitForHealthy(gatewayUrl, gateway);
      },
      logs: () => children.map((c) => `--- ${c.name}\n${c.output.join('')}`).join('\n'),
      close: cleanup,
    };
    return stack;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface OutageProxy {
  url: string;
  /** Alert requests that reached the proxy (served or cut). */
  alertRequests: number;
  /** Requests cut while the outage lasted. */
  cut: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the gateway that lets analysis through, and from the first alert request on makes the
 * gateway unreachable (connections cut) for `outageMs`: the agent has found an incident and must now keep it.
 */
export async function startOutageProxy(target: string, outageMs: number): Promise<OutageProxy> {
  const { createServer: createHttpServer, request } = await import('node:http');
  let downUntil = 0;
  const state = { alertRequests: 0, cut: 0 };
  const server = createHttpServer((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/api/video/alert')) {
      state.alertRequests++;
      if (downUntil === 0) downUntil = Date.now() + outageMs;
    }
    const down = Date.now() < downUntil && (path.startsWith('/api/video/alert') || path.startsWith('/api/health'));
    if (down) {
      state.cut++;
      req.socket.destroy();
      return;
    }
    const upstream = request(new URL(path, target), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get alertRequests() {
      return state.alertRequests;
    },
    get cut() {
      return state.cut;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
