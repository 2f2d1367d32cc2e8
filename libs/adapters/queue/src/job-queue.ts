import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  AppError,
  ErrorCode,
  JOB_PAYLOAD_SCHEMA,
  JOB_QUEUE,
  JobName,
  JobState,
  QueueName,
  assertValid,
  type JobPayloadMap,
  type JobResultMap,
} from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import { decodeJobError, type JobErrorBody } from './job-error';
import { assertSafeJobId, isSafeJobId, jobOptionsFor } from './job-options';
import { producerRedisOptions, workerRedisOptions } from './redis-connection';
import { FAIR_SHARE_EXEMPT, FairShare } from './fair-share';

export const DEFAULT_QUEUE_PREFIX = 'vigint';

export interface JobQueueOptions {
  redisUrl: string;
  /** BullMQ key prefix; tests use a unique one each. */
  prefix?: string;
  log: Logger;
  /** Upper bound on how long enqueue/ping wait for Redis before answering DEPENDENCY_UNAVAILABLE. */
  redisTimeoutMs?: number;
}

export interface EnqueueOptions {
  /** Overrides the id jobOptionsFor picks; [A-Za-z0-9_-], never all digits. */
  jobId?: string;
}

export interface EnqueuedJob {
  id: string;
  name: JobName;
  queue: QueueName;
}

/** What a producer sees of a job: project types only, never a BullMQ Job. */
export interface JobView<N extends JobName = JobName> {
  id: string;
  name: N;
  state: JobState;
  /** null for jobs that belong to no client (the scheduled retention run). */
  clientId: string | null;
  result?: JobResultMap[N];
  error?: JobErrorBody;
  /** Attempts made so far (failed or stalled runs included). */
  attempts: number;
}

const TERMINAL: ReadonlySet<JobState> = new Set([JobState.Completed, JobState.Failed]);

function toJobState(state: string): JobState {
  switch (state) {
    case 'completed':
      return JobState.Completed;
    case 'failed':
      return JobState.Failed;
    case 'active':
      return JobState.Active;
    case 'delayed':
      return JobState.Delayed;
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return JobState.Waiting;
    default:
      return JobState.Unknown;
  }
}

/** Which queue an id most likely lives in, from the prefix jobIdFor gives it. */
const QUEUE_BY_ID_PREFIX: Array<[string, QueueName]> = [
  ['analyze-', QueueName.Analysis],
  ['video-', QueueName.Media],
  ['compress-', QueueName.Media],
  ['alert-', QueueName.Alert],
  ['notice-', QueueName.Notice],
  ['cleanup-', QueueName.Maintenance],
  ['erase-', QueueName.Maintenance],
];

/**
 * The producer side of every queue: validates payloads, picks queue and options, and reads
 * job state back for `/api/jobs/:id`. Fails fast with DEPENDENCY_UNAVAILABLE when Redis is down.
 */
export class JobQueue {
  readonly prefix: string;
  /** The producer connection (enableOfflineQueue false); BlobStore can share it. */
  readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly fair: FairShare;
  private readonly events = new Map<QueueName, Promise<QueueEvents>>();
  private readonly log: Logger;
  private readonly redisTimeoutMs: number;
  private closed = false;

  constructor(private readonly opts: JobQueueOptions) {
    this.prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.log = opts.log.child({ module: 'job-queue' });
    this.redisTimeoutMs = opts.redisTimeoutMs ?? 3_000;
    this.connection = new Redis(opts.redisUrl, producerRedisOptions());
    this.fair = new FairShare(this.connection, this.prefix);
    // ioredis emits 'error' on every failed reconnect; without a listener Node would crash the process.
    this.connection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis producer connection error'));
    for (const name of Object.values(QueueName)) {
      const queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (err) => this.log.warn({ queue: name, err: err.message }, 'queue error'));
      this.queues.set(name, queue);
    }
  }

  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloadMap[N],
    options: EnqueueOptions = {},
  ): Promise<EnqueuedJob> {
    const schema = JOB_PAYLOAD_SCHEMA[name];
    if (!schema) throw new AppError(ErrorCode.BadRequest, `unknown job name ${String(name)}`);
    assertValid(schema, data, `${name} payload`);
    if (options.jobId !== undefined) assertSafeJobId(options.jobId);
    const queueName = JOB_QUEUE[name];
    const jobOpts = jobOptionsFor(name, data, options.jobId);
    const tenant = (data as { clientId?: string | null }).clientId;
    const fair = Boolean(tenant) && !FAIR_SHARE_EXEMPT.has(name);
    if (fair) {
      // Rotation across tenants: see FairShare. (A job absorbed by its id counts once: same member.)
      jobOpts.priority = await this.withRedis('enqueue', async () => {
        await this.queue(queueName).waitUntilReady(); // the shared connection, once it is up
        return this.fair.priorityFor(queueName, tenant!, jobOpts.jobId!);
      });
    }
    let job;
    try {
      job = await this.withRedis('enqueue', () => this.queue(queueName).add(name, data, jobOpts));
    } catch (err) {
      // Not queued: it does not count as pending (best effort; its lease ends anyway).
      if (fair) await this.fair.done(queueName, tenant!, jobOpts.jobId!).catch(() => undefined);
      throw err;
    }
    const id = job.id ?? jobOpts.jobId!;
    this.log.debug({ jobId: id, name, queue: queueName }, 'job enqueued');
    return { id, name, queue: queueName };
  }

  /** The job's view, or null when no queue holds it (never existed, or removed after its retention). */
  async getJob<N extends JobName = JobName>(jobId: string): Promise<JobView<N> | null> {
    if (!isSafeJobId(jobId)) return null;
    const found = await this.findJob(jobId);
    return found ? ((await this.view(found.queue, jobId)) as JobView<N> | null) : null;
  }

  /**
   * Waits until the job completes or fails, at most `timeoutMs`; then returns its view whatever the state
   * (the job keeps running: the caller can poll `getJob` later). null when the job does not exist.
   */
  async waitFor<N extends JobName = JobName>(jobId: string, timeoutMs: number): Promise<JobView<N> | null> {
    if (!isSafeJobId(jobId)) return null;
    const found = await this.findJob(jobId);
    if (!found) return null;
    const first = await this.view(found.queue, jobId);
    if (!first || TERMINAL.has(first.state) || timeoutMs <= 0) return first as JobView<N> | null;
    const events = await this.withRedis('wait', () => this.queueEvents(found.queue));

    return new Promise<JobView<N> | null>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(poll);
        events.off('completed', onEvent);
        events.off('failed', onEvent);
        this.getJob<N>(jobId).then(resolve, () => resolve(first as JobView<N>));
      };
      const onEvent = (args: { jobId: string }): void => {
        if (args.jobId === jobId) finish();
      };
      events.on('completed', onEvent);
      events.on('failed', onEvent);
      const timer = setTimeout(finish, timeoutMs);
      // Events are read from the stream's tail: one that fired before the reader started (or before the
      // listener was added) would be missed, so a backing-off poll covers that gap.
      let pollMs = 100;
      let poll: NodeJS.Timeout;
      const schedulePoll = (): void => {
        poll = setTimeout(() => {
          this.getJob(jobId).then(
            (v) => (!v || TERMINAL.has(v.state) ? finish() : done || schedulePoll()),
            () => done || schedulePoll(),
          );
        }, pollMs);
        pollMs = Math.min(pollMs * 2, 1_000);
      };
      schedulePoll();
    });
  }

  /** Job counts per queue and state, for health and metrics. */
  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const [name, queue] of this.queues) {
      out[name] = await this.withRedis('counts', () =>
        queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
      );
    }
    return out;
  }

  /**
   * Creates or updates a repeatable job (BullMQ job scheduler): one id, one schedule, however many
   * processes call it at startup.
   */
  async upsertJobScheduler<N extends JobName>(
    schedulerId: string,
    name: N,
    data: JobPayloadMap[N],
    everyMs: number,
  ): Promise<void> {
    assertValid(JOB_PAYLOAD_SCHEMA[name], data, `${name} payload`);
    assertSafeJobId(schedulerId);
    const { attempts, backoff, removeOnComplete, removeOnFail } = jobOptionsFor(name, data);
    await this.withRedis('schedule', () =>
      this.queue(JOB_QUEUE[name]).upsertJobScheduler(
        schedulerId,
        { every: everyMs },
        { name, data, opts: { attempts, backoff, removeOnComplete, removeOnFail } },
      ),
    );
  }

  async removeJobScheduler(name: JobName, schedulerId: string): Promise<void> {
    await this.withRedis('schedule', () => this.queue(JOB_QUEUE[name]).removeJobScheduler(schedulerId));
  }

  /**
   * Erasure: removes every job of the client that is not running (queued, delayed, finished or failed,
   * with its data, result and logs), in every queue. A running job cannot be removed (BullMQ holds its
   * lock); it is counted in `active` and ends as usual. `except` keeps one job (the erase job itself).
   */
  async removeClientJobs(clientId: string, except?: string): Promise<{ removed: number; active: number }> {
    const states = ['completed', 'failed', 'wait', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const;
    const PAGE = 200;
    let removed = 0;
    let active = 0;
    for (const queue of this.queues.values()) {
      const ids: string[] = [];
      for (const state of states) {
        for (let start = 0; ; start += PAGE) {
          const jobs = await this.withRedis('list jobs', () => queue.getJobs([state], start, start + PAGE - 1, true));
          for (const job of jobs) {
            if (job?.id && job.id !== except && (job.data as { clientId?: unknown })?.clientId === clientId) {
              ids.push(job.id);
            }
          }
          if (jobs.length < PAGE) break;
        }
      }
      for (const id of ids) {
        // 0: it started meanwhile (locked), and is counted with the running ones below.
        removed += await this.withRedis('remove job', () => queue.remove(id));
      }
      const running = await this.withRedis('list jobs', () => queue.getJobs(['active'], 0, -1));
      active += running.filter(
        (j) => j?.id !== except && (j?.data as { clientId?: unknown })?.clientId === clientId,
      ).length;
    }
    await this.withRedis('forget client', () => this.fair.forget([...this.queues.keys()], clientId));
    return { removed, active };
  }

  /** Throws DEPENDENCY_UNAVAILABLE when Redis does not answer within the bound. */
  async ping(): Promise<void> {
    await this.withRedis('ping', () => this.connection.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const events = await Promise.allSettled(this.events.values());
    await Promise.allSettled(events.map((e) => (e.status === 'fulfilled' ? e.value.close() : undefined)));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }

  private queue(name: QueueName): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new AppError(ErrorCode.Internal, `no queue ${name}`);
    return queue;
  }

  private async findJob(jobId: string): Promise<{ queue: QueueName; job: Job } | null> {
    const guess = QUEUE_BY_ID_PREFIX.find(([p]) => jobId.startsWith(p))?.[1];
    const order = guess ? [guess, ...Object.values(QueueName).filter((q) => q !== guess)] : Object.values(QueueName);
    for (const name of order) {
      const job = await this.withRedis('get job', () => this.queue(name).getJob(jobId));
      if (job) return { queue: name, job };
    }
    return null;
  }

  /**
   * State first, then the job's hash: read the other way round, a job finishing in between would show as
   * failed without its reason (or completed without its result).
   */
  private async view(queueName: QueueName, jobId: string): Promise<JobView | null> {
    const queue = this.queue(queueName);
    const state = toJobState(await this.withRedis('get state', () => queue.getJobState(jobId)));
    const job = await this.withRedis('get job', () => queue.getJob(jobId));
    if (!job) return null;
    const data = job.data as { clientId?: string | null };
    const view: JobView = {
      id: job.id!,
      name: job.name as JobName,
      state,
      clientId: data.clientId ?? null,
      attempts: job.attemptsMade,
    };
    if (state === JobState.Completed) view.result = job.returnvalue as JobResultMap[JobName];
    if (state === JobState.Failed) view.error = decodeJobError(job.failedReason);
    return view;
  }

  private queueEvents(name: QueueName): Promise<QueueEvents> {
    let events = this.events.get(name);
    if (!events) {
      events = (async () => {
        // A blocking XREAD reader: its own connection, without the producer's command timeout.
        const qe = new QueueEvents(name, {
          connection: { ...redisOptionsFromUrl(this.opts.redisUrl), ...workerRedisOptions() },
          prefix: this.prefix,
        });
        qe.on('error', (err) => this.log.warn({ queue: name, err: err.message }, 'queue events error'));
        // Every concurrent waitFor adds a listener: many waiting requests are normal, not a leak.
        qe.setMaxListeners(0);
        await qe.waitUntilReady();
        return qe;
      })();
      events.catch(() => this.events.delete(name));
      this.events.set(name, events);
    }
    return events;
  }

  /** Runs one Redis operation with a bound; a Redis failure becomes DEPENDENCY_UNAVAILABLE (HTTP 503). */
  private async withRedis<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError(ErrorCode.DependencyUnavailable, 'job queue is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError(ErrorCode.DependencyUnavailable, `queue unavailable: ${what} timed out`)),
        this.redisTimeoutMs,
      );
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof AppError) throw err;
      this.log.warn({ op: what, err: (err as Error).message }, 'redis operation failed');
      throw new AppError(ErrorCode.DependencyUnavailable, `queue unavailable: ${what} failed`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** host/port/db/credentials of a redis:// or rediss:// URL, as ioredis options. */
export function redisOptionsFromUrl(redisUrl: string): {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
} {
  const u = new URL(redisUrl);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number.isFinite(db) ? db : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
