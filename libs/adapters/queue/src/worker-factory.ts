import { performance } from 'node:perf_hooks';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  AppError,
  ErrorCode,
  JOB_PAYLOAD_SCHEMA,
  JOB_QUEUE,
  JobName,
  QueueName,
  assertValid,
  isAppError,
  type JobPayloadMap,
  type JobResultMap,
} from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import { BlobStore } from './blob.store';
import { FAIR_SHARE_EXEMPT, FairShare } from './fair-share';
import { encodeJobError } from './job-error';
import { DEFAULT_QUEUE_PREFIX, redisOptionsFromUrl } from './job-queue';
import { workerRedisOptions } from './redis-connection';

/** What a handler learns about its job: project types only, never the BullMQ Job. */
export interface JobContext {
  jobId: string;
  name: JobName;
  queue: QueueName;
  /** 1 on the first run; counts stalled runs too, so a recovered job knows it is a rerun. */
  attempt: number;
  /** Child logger already carrying jobId, name, queue and attempt. */
  log: Logger;
}

export type JobHandler<N extends JobName> = (data: JobPayloadMap[N], ctx: JobContext) => Promise<JobResultMap[N]>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export interface CreateWorkersOptions {
  redisUrl: string;
  prefix?: string;
  log: Logger;
  handlers: JobHandlers;
  /** Jobs run at once per queue (default 1). */
  concurrency?: Partial<Record<QueueName, number>>;
  /** How long a job's lock lives without renewal: after a crash, the job is recovered about this much later. */
  lockDurationMs?: number;
  /** How often the stalled-job check runs (BullMQ default 30 s). */
  stalledIntervalMs?: number;
  /** How many times a job may stall before it is failed (default 2). */
  maxStalledCount?: number;
  /** Only these queues (default: all). */
  queues?: QueueName[];
  /** Finished jobs (results and failures) kept per client and queue; older ones are removed (default 1000). */
  resultsPerClient?: number;
}

export interface WorkerPool {
  readonly queues: QueueName[];
  /** Resolves once every worker is connected and consuming. */
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish (BullMQ graceful shutdown). */
  close(): Promise<void>;
}

/** Fails at startup when a JobName has no handler, instead of failing jobs later. */
export function assertAllHandlers(handlers: Partial<Record<JobName, unknown>>): asserts handlers is JobHandlers {
  const missing = Object.values(JobName).filter((n) => typeof handlers[n] !== 'function');
  if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
}

/** The tenant a job counts for in FairShare, or undefined when it takes no part. */
function fairTenant(job: Job): string | undefined {
  const tenant = (job.data as { clientId?: string | null } | undefined)?.clientId;
  return tenant && job.id && !FAIR_SHARE_EXEMPT.has(job.name) ? tenant : undefined;
}

/** One Worker per queue, a named-processor switch on job.name into the handlers (BullMQ named processor). */
export function createWorkers(opts: CreateWorkersOptions): WorkerPool {
  assertAllHandlers(opts.handlers);
  const log = opts.log.child({ module: 'worker-factory' });
  const queues = opts.queues ?? Object.values(QueueName);
  const handlers = opts.handlers as Record<JobName, JobHandler<JobName>>;

  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  const cap = opts.resultsPerClient ?? 1000;
  // Bookkeeping of finished jobs (FairShare's pending counts and per-client results, the frames reserved
  // for the job) on one connection of its own.
  const fairRedis = new Redis({ ...redisOptionsFromUrl(opts.redisUrl), ...workerRedisOptions() });
  fairRedis.on('error', (err: Error) => log.warn({ err: err.message }, 'fair-share redis error'));
  const fair = new FairShare(fairRedis, prefix);
  const blobs = new BlobStore(fairRedis, prefix);
  const removers = new Map(queues.map((q) => [q, new Queue(q, { connection: fairRedis, prefix })]));
  const settle = async (queue: QueueName, tenant: string, jobId: string) => {
    // The frames the gateway reserved for the job leave the client's frame quota now, not at their TTL.
    await Promise.all([fair.done(queue, tenant, jobId), blobs.releaseJob(tenant, jobId)]);
    for (const old of await fair.keepResult(queue, tenant, jobId, cap)) await removers.get(queue)!.remove(old);
  };

  const workers = queues.map((queue) => {
    const processor = async (job: Job): Promise<unknown> => {
      const name = job.name as JobName;
      const attempt = Math.max(job.attemptsStarted, job.attemptsMade + 1);
      const jobLog = opts.log.child({ module: 'job', jobId: job.id, name, queue, attempt });
      const started = performance.now();
      const handler = handlers[name];
      try {
        if (!handler || JOB_QUEUE[name] !== queue) {
          throw new AppError(ErrorCode.BadRequest, `job ${String(job.name)} does not belong on queue ${queue}`);
        }
        const data = assertValid(JOB_PAYLOAD_SCHEMA[name], job.data, `${name} payload`) as JobPayloadMap[JobName];
        const tenant = fairTenant(job);
        // A job that waited long (a backlog, retries) keeps counting for its tenant's rotation.
        if (tenant) void fair.touch(queue, tenant, job.id!).catch(() => undefined);
        jobLog.info('job started');
        const result = await handler(data, { jobId: job.id!, name, queue, attempt, log: jobLog });
        jobLog.info({ durationMs: Math.round(performance.now() - started) }, 'job completed');
        return result;
      } catch (err) {
        const durationMs = Math.round(performance.now() - started);
        const permanent = isAppError(err) && (err as AppError).permanent;
        const code = isAppError(err) ? (err as AppError).code : undefined;
        const message = err instanceof Error ? err.message : String(err);
        if (permanent) {
          jobLog.warn({ durationMs, code, err: message }, 'job failed permanently');
          // No retry can fix bad input: fail now, with the AppError body kept for the producer.
          throw new UnrecoverableError(encodeJobError(err));
        }
        jobLog.error({ durationMs, code, err: message }, 'job failed, will retry if attempts remain');
        const retry = new Error(encodeJobError(err));
        retry.stack = err instanceof Error ? err.stack : undefined;
        throw retry;
      }
    };

    const worker = new Worker(queue, processor, {
      connection: { ...redisOptionsFromUrl(opts.redisUrl), ...workerRedisOptions() },
      prefix,
      concurrency: Math.max(1, opts.concurrency?.[queue] ?? 1),
      lockDuration: opts.lockDurationMs ?? 30_000,
      stalledInterval: opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: opts.maxStalledCount ?? 2,
    });
    // Without an 'error' listener a Redis hiccup would be an unhandled 'error' event (BullMQ workers guide).
    worker.on('error', (err) => log.error({ queue, err: err.message }, 'worker error'));
    const finished = (job: Job) => {
      const tenant = fairTenant(job);
      if (!tenant) return;
      void settle(queue, tenant, job.id!).catch((err: Error) =>
        log.warn({ queue, jobId: job.id, err: err.message }, 'fair-share bookkeeping failed'),
      );
    };
    worker.on('completed', finished);
    worker.on('failed', (job) => {
      // Only a job with no attempt left has finished; a retried one is still pending.
      if (job && (job.finishedOn || job.attemptsMade >= (job.opts.attempts ?? 1))) finished(job);
    });
    worker.on('stalled', (jobId) => log.warn({ queue, jobId }, 'job stalled, moved back to wait'));
    return worker;
  });

  return {
    queues,
    async waitUntilReady() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.allSettled([...removers.values()].map((q) => q.close()));
      fairRedis.disconnect();
    },
  };
}
