import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorkerProcess, workerEnv, type FakeGemini, type TestSmtpServer } from '@vigint/testing';
import { SECRET, type Harness } from './gateway.harness';

const WORKER_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '../../../worker');

export interface WorkerChild {
  output: string[];
  stop(): Promise<void>;
}

/** The real worker app (`apps/worker/src/main.ts`) as a child process, resolved once it logs "worker ready". */
export async function startWorkerChild(env: Record<string, string>, timeoutMs = 30_000): Promise<WorkerChild> {
  const worker = startWorkerProcess(
    { LOG_LEVEL: 'info', ...env },
    { cwd: WORKER_DIR, graceMs: 15_000, keepChunks: Number.POSITIVE_INFINITY },
  );
  try {
    await worker.ready(timeoutMs);
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}

/** The worker's environment on the gateway harness's Redis prefix, database and disk store, with Gemini and SMTP. */
export function workerEnvFor(h: Harness, gemini: FakeGemini, smtp: TestSmtpServer): Record<string, string> {
  return workerEnv(
    {
      redisUrl: h.config.REDIS_URL,
      prefix: h.prefix,
      databaseUrl: h.db.url,
      storageDir: h.storageDir,
      secretKey: SECRET,
      publicBaseUrl: 'http://gateway.test',
      gemini,
      smtp,
      emailFrom: 'Vigint <alerts@example.com>',
    },
    {
      EMAIL_TO: 'fallback@example.com',
      EMAIL_OUTBOX_DIR: join(h.storageDir, 'outbox'),
      ALERT_COOLDOWN_SECONDS: '0',
    },
  );
}
