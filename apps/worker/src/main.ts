import closeWithGrace from 'close-with-grace';
import { createLogger } from '@vigint/logger';
import { loadWorkerConfig } from './config';
import { startWorkers } from './workers';

/** The worker process: config, logger, workers, and a graceful stop on SIGINT/SIGTERM (STYLE.md §5). */
async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const log = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  const app = await startWorkers(config, log);
  // Running jobs may take minutes (ffmpeg): the grace delay bounds how long a stop waits for them.
  closeWithGrace({ delay: 120_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'worker stopping after an error');
    else log.info({ signal }, 'worker stopping: letting running jobs finish');
    await app.close();
    log.info('worker stopped');
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
