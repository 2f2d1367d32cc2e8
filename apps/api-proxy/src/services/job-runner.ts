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
  let job;
  try {
    await chargeJobs(app, (data as { clientId: string }).clientId, name);
    if (name === JobName.AlertSend) await chargeAlerts(app, (data as { clientId: string }).clientId);
    job = await app.svc.queue.enqueue(name, data, options.jobId ? { jobId: options.jobId } : {});
  } catch (err) {
    await releaseFrames(app, data);
    throw err;
  }
  req.log.info({ jobId: job.id, job: name }, 'job enqueued');
  if (prefersAsync(req)) return { kind: 'accepted', jobId: job.id };
  const view = await app.svc.queue.waitFor(job.id, options.waitMs ?? app.config.SYNC_WAIT_MS);
  if (!view) throw new AppError(ErrorCode.JobFailed, 'job vanished before it finished');
  if (view.state === JobState.Completed)
    return { kind: 'completed', jobId: job.id, result: view.result as JobResultMap[N] };
  if (view.state === JobState.Failed)
    throw AppError.fromBody(view.error ?? { error: 'job failed', code: ErrorCode.JobFailed });
  return { kind: 'pending', jobId: job.id };
}

/**
 * A job that was refused or could not be queued gives its frames back to the client's frame quota at once
 * (frames taken from a buffer are held and stay there).
 */
async function releaseFrames(app: FastifyInstance, data: unknown): Promise<void> {
  const d = data as { clientId: string; frameBlobKeys?: string[]; confirmBlobKeys?: string[] };
  const keys = [...(d.frameBlobKeys ?? []), ...(d.confirmBlobKeys ?? [])];
  if (keys.length) await app.svc.blobs.release(d.clientId, keys).catch(() => undefined);
}

/**
 * The client's job quota: JOBS_PER_MINUTE per job type, counted in Redis (shared by every gateway
 * instance); past it 429 with Retry-After, nothing enqueued. `count` jobs at once (multi-source fan-out).
 * Redis down: the enqueue itself answers 503.
 */
export async function chargeJobs(app: FastifyInstance, clientId: string, name: JobName, count = 1): Promise<void> {
  const max = app.config.JOBS_PER_MINUTE;
  if (count <= 0) return;
  let hit;
  try {
    hit = await app.svc.limits.hit(`jobs:${clientId}:${name}`, max, 60_000, count);
  } catch {
    return;
  }
  if (hit.allowed) return;
  await app.svc.limits.refund(`jobs:${clientId}:${name}`, count).catch(() => undefined);
  throw new AppError(ErrorCode.RateLimited, `job quota exceeded: ${max} ${name} jobs per minute`, {
    details: { retryAfterSeconds: Math.ceil(hit.resetMs / 1000) },
  });
}

/**
 * The client's alert quota: ALERTS_PER_HOUR alerts (and camera notices), counted in Redis across instances;
 * past it 429 with Retry-After, nothing queued. A re-sent alert (same Idempotency-Key) counts again.
 */
export async function chargeAlerts(app: FastifyInstance, clientId: string): Promise<void> {
  const max = app.config.ALERTS_PER_HOUR;
  const bucket = `alerts:${clientId}`;
  let hit;
  try {
    hit = await app.svc.limits.hit(bucket, max, 3_600_000);
  } catch {
    return;
  }
  if (hit.allowed) return;
  await app.svc.limits.refund(bucket).catch(() => undefined);
  throw new AppError(ErrorCode.RateLimited, `alert quota exceeded: ${max} alerts per hour`, {
    details: { retryAfterSeconds: Math.ceil(hit.resetMs / 1000) },
  });
}

/** 202 `{job_id, status_url}` for `Prefer: respond-async`. */
export function sendAccepted(reply: FastifyReply, jobId: string, status = 'queued'): FastifyReply {
  return reply
    .code(202)
    .header('location', statusUrl(jobId))
    .send({ job_id: jobId, status_url: statusUrl(jobId), status });
}
