import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  ErrorCode,
  JobName,
  JobState,
  PREFER_ASYNC,
  type JobPayloadMap,
  type JobResultMap,
} from '@vigint/contracts';
import { jobIdFor } from '@vigint/queue';

/** What runJob needs of the request: its `Prefer` header and its logger (a FastifyRequest is one). */
export type JobCaller = Pick<FastifyRequest, 'headers'> & { log: FastifyBaseLogger };

/** True when the caller sent `Prefer: respond-async` (RFC 7240). */
export function prefersAsync(req: Pick<FastifyRequest, 'headers'>): boolean {
  const p = req.headers.prefer;
  const v = Array.isArray(p) ? p.join(',') : (p ?? '');
  return v
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .includes(PREFER_ASYNC);
}

export const statusUrl = (jobId: string): string => `/api/jobs/${encodeURIComponent(jobId)}`;

export type JobOutcome<N extends JobName> =
  | { kind: 'completed'; jobId: string; result: JobResultMap[N] }
  | { kind: 'accepted'; jobId: string }
  | { kind: 'pending'; jobId: string };

/**
 * Enqueues a job and, unless the caller prefers async, waits for it within SYNC_WAIT_MS. A failed job's
 * error comes back as the same AppError (a permanent INVALID_VIDEO found by ffmpeg is the same 422).
 * `pending`: still running after the bound: alerts answer 207 `queued`, the other routes 202 with
 * `{job_id, status_url, status: "running"}` (the job keeps running; the reply is at status_url).
 */
export async function runJob<N extends JobName>(
  app: FastifyInstance,
  req: JobCaller,
  name: N,
  data: JobPayloadMap[N],
  options: { jobId?: string; waitMs?: number } = {},
): Promise<JobOutcome<N>> {
  const clientId = (data as { clientId: string }).clientId;
  const replayId = acceptedAlertId(name, data);
  // A re-sent alert (same Idempotency-Key as one already accepted) lands on the original's job and answers
  // as it did: it is not charged again.
  const replay = replayId ? await app.svc.limits.accepted(replayId).catch(() => false) : false;
  // The id is chosen here so the job's frames are reserved under it before a worker can finish it.
  const jobId = options.jobId ?? jobIdFor(name, data);
  const frames = frameKeysOf(data);
  // A replay whose original job is still there is absorbed by it: its own frames are not used.
  const absorbed = replay && frames.length > 0 && (await app.svc.queue.getJob(jobId).catch(() => null)) !== null;
  const charges: Charge[] = [];
  let job;
  try {
    if (frames.length > 0 && !absorbed) {
      await app.svc.blobs.reserve(clientId, jobId, frames, app.config.STATE_TTL_SECONDS);
    }
    if (!replay) {
      charges.push(await chargeJobs(app, clientId, name));
      if (name === JobName.AlertSend) charges.push(await chargeAlerts(app, clientId));
    }
    job = await app.svc.queue.enqueue(name, data, { jobId });
  } catch (err) {
    // Refused or not queued: what was charged is given back (a 429 on alerts leaves the job quota as it
    // was), and so are the frames (those a buffer or the last upload points at stay).
    await Promise.all(charges.map((c) => c.refund()));
    await releaseFrames(app, clientId, jobId, absorbed ? frames : undefined);
    throw err;
  }
  if (absorbed) await releaseFrames(app, clientId, jobId, frames);
  if (replayId && !replay) await app.svc.limits.markAccepted(replayId, REPLAY_WINDOW_MS).catch(() => undefined);
  req.log.info({ jobId: job.id, job: name, ...(replay ? { replay: true } : {}) }, 'job enqueued');
  if (prefersAsync(req)) return { kind: 'accepted', jobId: job.id };
  const view = await app.svc.queue.waitFor(job.id, options.waitMs ?? app.config.SYNC_WAIT_MS);
  if (!view) throw new AppError(ErrorCode.JobFailed, 'job vanished before it finished');
  if (view.state === JobState.Completed)
    return { kind: 'completed', jobId: job.id, result: view.result as JobResultMap[N] };
  if (view.state === JobState.Failed)
    throw new JobFailure(job.id, AppError.fromBody(view.error ?? { error: 'job failed', code: ErrorCode.JobFailed }));
  return { kind: 'pending', jobId: job.id };
}

/** The error of a job that ran and failed for good, with the job's id, so a reply can still name the job. */
export class JobFailure extends AppError {
  constructor(
    readonly jobId: string,
    error: AppError,
  ) {
    super(error.code, error.message, { field: error.field });
  }
}

/**
 * How long an accepted alert's Idempotency-Key is remembered for the quota: the agent's outbox replays
 * alerts up to 7 days old (`occurred_at` is accepted that far back).
 */
const REPLAY_WINDOW_MS = 7 * 24 * 3_600_000;

/** The id under which an alert with an Idempotency-Key is remembered as accepted; none for other jobs. */
function acceptedAlertId(name: JobName, data: unknown): string | undefined {
  if (name !== JobName.AlertSend) return undefined;
  const d = data as JobPayloadMap[JobName.AlertSend];
  // Without an Idempotency-Key the alert key is random: no request can replay it.
  return d.incidentKey ? `alert:${d.clientId}:${d.alertKey}` : undefined;
}

/** A quota charge that can be given back when the job it paid for was not queued. */
export interface Charge {
  /** Gives back `n` (default: all that is left) of what was charged; never more than was charged. */
  refund(n?: number): Promise<void>;
}

const NOTHING_CHARGED: Charge = { refund: async () => undefined };

/** The frames a job payload points at (BlobStore keys). */
function frameKeysOf(data: unknown): string[] {
  const d = data as { frameBlobKeys?: string[]; confirmBlobKeys?: string[] };
  return [...(d.frameBlobKeys ?? []), ...(d.confirmBlobKeys ?? [])];
}

/**
 * Frames no job will read give their room in the client's frame quota back at once: the job's reservation
 * (refused, not queued), or, for a replay absorbed by its original job, the request's own `unreserved` frames.
 * The worker releases the reservation of a job that ran (worker-factory).
 */
async function releaseFrames(app: FastifyInstance, clientId: string, jobId: string, unreserved?: string[]) {
  const done = unreserved ? app.svc.blobs.discard(clientId, unreserved) : app.svc.blobs.releaseJob(clientId, jobId);
  await done.catch(() => undefined);
}

/**
 * The client's job quota, per job type: a token bucket in Redis (shared by every gateway instance) of
 * JOB_BURST jobs, refilled at JOBS_PER_MINUTE. Past it 429 with Retry-After (when the next job fits), nothing
 * enqueued. `count` jobs at once (multi-source fan-out). Redis down: nothing is charged, and the enqueue
 * itself answers 503. The returned charge gives back `count` (or fewer) when the jobs are not queued after all.
 */
export async function chargeJobs(app: FastifyInstance, clientId: string, name: JobName, count = 1): Promise<Charge> {
  const bucket = `jobs:${clientId}:${name}`;
  const rate = { intervalMs: 60_000 / app.config.JOBS_PER_MINUTE, burst: app.config.JOB_BURST };
  return charge(count, {
    take: () => app.svc.limits.take(bucket, rate, count),
    giveBack: (n) => app.svc.limits.giveBack(bucket, rate, n),
    refusal: `job quota exceeded: ${app.config.JOBS_PER_MINUTE} ${name} jobs per minute (bursts of ${rate.burst})`,
  });
}

/**
 * The client's alert quota: ALERTS_PER_HOUR alerts, counted in Redis across instances; past it 429 with
 * Retry-After, nothing queued. A re-sent alert (same Idempotency-Key as an accepted one) is not charged
 * (see runJob).
 */
export async function chargeAlerts(app: FastifyInstance, clientId: string): Promise<Charge> {
  const max = app.config.ALERTS_PER_HOUR;
  const bucket = `alerts:${clientId}`;
  return charge(1, {
    take: async () => {
      const hit = await app.svc.limits.hit(bucket, max, 3_600_000, 1);
      // A refused hit is not kept: the window counts what it let through.
      if (!hit.allowed) await app.svc.limits.refund(bucket, 1).catch(() => undefined);
      return { allowed: hit.allowed, retryAfterMs: hit.resetMs };
    },
    giveBack: (n) => app.svc.limits.refund(bucket, n),
    refusal: `alert quota exceeded: ${max} alerts per hour`,
  });
}

/** One quota as `charge` uses it: take what a request costs, give it back, and the sentence of a refusal. */
interface Quota {
  take(): Promise<{ allowed: boolean; retryAfterMs: number }>;
  giveBack(n: number): Promise<void>;
  refusal: string;
}

async function charge(count: number, quota: Quota): Promise<Charge> {
  if (count <= 0) return NOTHING_CHARGED;
  let taken;
  try {
    taken = await quota.take();
  } catch {
    return NOTHING_CHARGED;
  }
  if (!taken.allowed) {
    throw new AppError(ErrorCode.RateLimited, quota.refusal, {
      details: { retryAfterSeconds: Math.ceil(taken.retryAfterMs / 1000) },
    });
  }
  let left = count;
  return {
    refund: async (n = left) => {
      const back = Math.min(n, left);
      if (back <= 0) return;
      left -= back;
      await quota.giveBack(back).catch(() => undefined);
    },
  };
}

/** 202 `{job_id, status_url}` for `Prefer: respond-async`. */
export function sendAccepted(reply: FastifyReply, jobId: string, status = 'queued'): FastifyReply {
  return reply
    .code(202)
    .header('location', statusUrl(jobId))
    .send({ job_id: jobId, status_url: statusUrl(jobId), status });
}
