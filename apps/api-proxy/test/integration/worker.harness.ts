import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, type FakeGemini, type TestSmtpServer } from '@vigint/testing';
import { SECRET, type Harness } from './gateway.harness';

const WORKER_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '../../../worker');

export interface WorkerChild {
  output: string[];
  stop(): Promise<void>;
}

/** The real worker app (`apps/worker/src/main.ts`) as a child process, resolved once it logs "worker ready". */
export async function startWorkerChild(env: Record<string, string>, timeoutMs = 30_000): Promise<WorkerChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: WORKER_DIR,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker not ready in time:\n${output.join('').slice(-3000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      output.push(String(d));
      if (String(d).includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}):\n${output.join('').slice(-3000)}`));
    });
  });
  return {
    output,
    stop: () => stopChild(child, { graceMs: 15_000 }),
  };
}

/** The worker's environment on the gateway harness's Redis prefix, database and disk store, with Gemini and SMTP. */
export function workerEnvFor(h: Harness, gemini: FakeGemini, smtp: TestSmtpServer): Record<string, string> {
  return {
    REDIS_URL: h.config.REDIS_URL,
    QUEUE_PREFIX: h.prefix,
    DATABASE_URL: h.db.url,
    STORAGE_BACKEND: 'disk',
    STORAGE_DIR: h.storageDir,
    SECRET_KEY: SECRET,
    GOOGLE_API_KEY: 'fake-key',
    GEMINI_BASE_URL: gemini.baseUrl,
    EMAIL_SMTP_SERVER: smtp.host,
    EMAIL_SMTP_PORT: String(smtp.port),
    EMAIL_FROM: 'Vigint <alerts@example.com>',
    EMAIL_TO: 'fallback@example.com',
    EMAIL_OUTBOX_DIR: join(h.storageDir, 'outbox'),
    PUBLIC_BASE_URL: 'http://gateway.test',
    ALERT_COOLDOWN_SECONDS: '0',
    MEDIA_CONCURRENCY: '1',
  };
}
