import closeWithGrace from 'close-with-grace';
import { createLogger } from '@vigint/logger';
import { loadWorkerConfig } from './config';
import { startWorkers, type WorkerApp } from './workers';

/** The worker process: config, logger, workers, and a graceful stop on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  const run: { starting?: Promise<WorkerApp> } = {};
  // Installed before the workers start: they take jobs while startup finishes, and a SIGTERM in that window
  // must still let those jobs finish. Running jobs may take minutes (ffmpeg): the delay bounds the wait.
  closeWithGrace({ delay: 120_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'worker stopping after an error');
    else log.info({ signal }, 'worker stopping: letting running jobs finish');
    const app = await run.starting?.catch(() => undefined);
    await app?.close();
    log.info('worker stopped');
  });
  run.starting = startWorkers(config, log);
  await run.starting;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
