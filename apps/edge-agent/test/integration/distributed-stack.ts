import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  geminiReply,
  startCloudStack,
  startTsxChild,
  type ChildService,
  type FakeGemini,
  type TestSmtpServer,
  type ReceivedMail,
} from '@vigint/testing';

export type { ChildService };

/*
 * The whole distributed stack for the edge agent's tests, each part real except Gemini: api-proxy and the worker as
 * child processes (tsx, as `nx serve` runs them; the agent must not import them), a fresh PostgreSQL database and
 * Redis prefix, an SMTP server and the fake Gemini REST server.
 */

export const REPO = resolve(import.meta.dirname, '../../../..');

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

/** An app's entry point as a child process, from the repository root (tsx, as `nx serve` runs it). */
export function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  cwd = REPO,
  args: string[] = [],
): ChildService {
  return startTsxChild(name, script, { env, cwd, args });
}

/**
 * Registers the spec file's beforeAll/afterAll: the stack, and a temp folder for the agents' outboxes.
 * Read `stack` and `work` inside tests (they are set once beforeAll has run).
 */
export function useDistributedStack(label: string): { stack: DistributedStack; work: string } {
  const t = {} as { stack: DistributedStack; work: string };
  beforeAll(async () => {
    t.stack = await startDistributedStack(label);
    t.work = await mkdtemp(join(tmpdir(), 'vigint-dist-agent-'));
  }, 120_000);
  afterAll(async () => {
    await t.stack?.close();
    if (t.work) await rm(t.work, { recursive: true, force: true });
  }, 60_000);
  return t;
}

export async function startDistributedStack(label: string): Promise<DistributedStack> {
  const cloud = await startCloudStack({
    label,
    geminiDefault: geminiReply.incident(),
    gatewayEnv: { EMAIL_TO: 'owner@example.com' },
    workerEnv: { GEMINI_TIMEOUT_MS: '10000' },
  });
  try {
    const { apiKey } = await cloud.createClient('Acme shop', 'owner@acme.test');
    return {
      gatewayUrl: cloud.url,
      apiKey,
      smtp: cloud.smtp,
      gemini: cloud.gemini,
      get gateway() {
        return cloud.gateways[0]!;
      },
      worker: cloud.workers[0]!,
      restartGateway: async () => void (await cloud.restartGateway(0)),
      logs: cloud.logs,
      close: cloud.close,
    };
  } catch (err) {
    await cloud.close();
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

export const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function videoAttachments(mail: ReceivedMail) {
  return mail.parsed.attachments.filter((a) => a.contentType === 'video/mp4');
}

/**
 * Helpers over the stack a spec starts in `beforeAll` (hence a getter): the mails about one camera, waiting for a
 * condition or for mails (the children's output in the timeout message) and the agent's environment for it.
 */
export function stackHelpers(current: () => DistributedStack) {
  const mailsFor = (camera: string): ReceivedMail[] =>
    current().smtp.messages.filter((m) => `${m.parsed.subject ?? ''} ${m.parsed.text ?? ''}`.includes(camera));
  const waitFor = async (cond: () => boolean, timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms\n${current().logs()}`);
      await settle(100);
    }
  };
  const waitForMails = async (camera: string, n: number, timeoutMs: number): Promise<ReceivedMail[]> => {
    await waitFor(() => mailsFor(camera).length >= n, timeoutMs);
    return mailsFor(camera);
  };
  const agentEnv = (): Record<string, string> => ({
    API_SERVER_URL: current().gatewayUrl,
    VIGINT_API_KEY: current().apiKey,
    GOOGLE_API_KEY: '',
    EMAIL_SMTP_SERVER: '',
    LOG_LEVEL: 'info',
  });
  return { mailsFor, waitFor, waitForMails, agentEnv };
}
