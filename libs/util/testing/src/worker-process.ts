import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTsxChild, type ChildService } from './process';

/*
 * The worker app (apps/worker/src/main.ts) as a child process, and the environment it reads, for every test
 * harness that needs a real worker. Spawned by path: this lib never imports app code.
 */

/** The repository root (this file is libs/util/testing/src/worker-process.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The worker's entry point, relative to the repository root. */
export const WORKER_MAIN = 'apps/worker/src/main.ts';

export interface WorkerEnvOptions {
  redisUrl: string;
  /** Redis key prefix (QUEUE_PREFIX): the test's own, from `testRedisPrefix`. */
  prefix: string;
  databaseUrl: string;
  /** Disk store folder (STORAGE_BACKEND=disk). */
  storageDir: string;
  /** SECRET_KEY (signed links, hashed keys). */
  secretKey: string;
  publicBaseUrl: string;
  gemini: { baseUrl: string };
  smtp: { host: string; port: number };
  /** GOOGLE_API_KEY the fake Gemini server expects. */
  geminiKey?: string;
  emailFrom?: string;
}

/**
 * The worker's environment against the given services; `extra` adds or overrides variables (LOG_LEVEL, timeouts,
 * ADMIN_KEY, EMAIL_TO, …) as each harness needs.
 */
export function workerEnv(o: WorkerEnvOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    DATABASE_URL: o.databaseUrl,
    STORAGE_BACKEND: 'disk',
    STORAGE_DIR: o.storageDir,
    SECRET_KEY: o.secretKey,
    PUBLIC_BASE_URL: o.publicBaseUrl,
    GOOGLE_API_KEY: o.geminiKey ?? 'fake-key',
    GEMINI_BASE_URL: o.gemini.baseUrl,
    EMAIL_SMTP_SERVER: o.smtp.host,
    EMAIL_SMTP_PORT: String(o.smtp.port),
    EMAIL_FROM: o.emailFrom ?? 'Vigint <alerts@vigint.test>',
    // One ffmpeg at a time: the machine running the tests is small.
    MEDIA_CONCURRENCY: '1',
    ...extra,
  };
}

export interface WorkerProcessOptions {
  /** Working directory (default the repository root); the entry point is resolved from the root either way. */
  cwd?: string;
  /** Own process group, signalled as a whole: a SIGKILL takes ffmpeg down with the worker, as a crashed container. */
  detached?: boolean;
  /** SIGTERM → SIGKILL grace on `stop()`. */
  graceMs?: number;
  /** How many output chunks to keep. */
  keepChunks?: number;
}

export interface WorkerProcess extends ChildService {
  /** The JSON log lines of stdout, parsed, in order. */
  readonly lines: Array<Record<string, unknown>>;
  readonly alive: boolean;
  /** Resolves once the worker logs "worker ready"; rejects with its output when it exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL (the whole group when detached), no grace: a crash. Resolves once it has exited. */
  kill(): Promise<void>;
}

/** Starts the worker (node + tsx, as `nx serve` runs it) with `env` on top of this process's environment. */
export function startWorkerProcess(env: Record<string, string>, options: WorkerProcessOptions = {}): WorkerProcess {
  const { cwd = REPO_ROOT, detached = false, graceMs = 10_000, keepChunks } = options;
  const child = startTsxChild('worker', join(REPO_ROOT, WORKER_MAIN), {
    env,
    cwd,
    detached,
    graceMs,
    keepChunks,
  });
  const proc = child.proc;
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  let readySeen = false;
  let tail = '';
  const readyListeners: Array<() => void> = [];
  const watch = (c: Buffer): void => {
    if (readySeen) return;
    // The tail of the previous chunk too: the line may be split across chunks.
    const text = tail + c.toString();
    tail = text.slice(-'worker ready'.length);
    if (!text.includes('worker ready')) return;
    readySeen = true;
    for (const l of readyListeners.splice(0)) l();
  };
  proc.stdout!.on('data', watch);
  proc.stderr!.on('data', watch);
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  return {
    ...child,
    lines,
    get alive() {
      return alive();
    },
    ready(timeoutMs = 30_000) {
      if (readySeen) return Promise.resolve();
      const out = (): string => child.output.join('').slice(-3000);
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker not ready in time:\n${out()}`)), timeoutMs);
        readyListeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
        void child.exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`worker exited (${code}):\n${out()}`));
        });
      });
    },
    async kill() {
      if (!alive()) return;
      try {
        if (detached) process.kill(-proc.pid!, 'SIGKILL');
        else proc.kill('SIGKILL');
      } catch {
        // already gone
      }
      await child.exited;
    },
  };
}
