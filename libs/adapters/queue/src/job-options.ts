import { createHash, randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { AppError, ErrorCode, JobName, type JobPayloadMap } from '@vigint/contracts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/** Short kebab prefixes so an id says what it is in logs and in `/api/jobs/:id`. */
const ID_PREFIX: Record<JobName, string> = {
  [JobName.FrameAnalyze]: 'analyze',
  [JobName.VideoCreate]: 'video',
  [JobName.VideoCompress]: 'compress',
  [JobName.AlertSend]: 'alert',
  [JobName.NoticeSend]: 'notice',
  [JobName.StorageCleanup]: 'cleanup',
  [JobName.ClientErase]: 'erase',
  [JobName.DigestRun]: 'digest',
};

/**
 * BullMQ custom ids must not contain ':' (its key separator) and must not be all digits (they would collide
 * with its own incrementing ids). Anything outside [A-Za-z0-9_-] is replaced; long parts are hashed.
 */
export function safeIdPart(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_');
  if (cleaned.length <= 80 && cleaned === value) return cleaned;
  // Replacing characters could make two keys equal: keep a hash of the original to tell them apart.
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 16);
  return `${cleaned.slice(0, 60)}_${hash}`;
}

export function jobIdFor<N extends JobName>(name: N, data: JobPayloadMap[N]): string {
  if (name === JobName.AlertSend) {
    // Idempotent per tenant and alert key: a re-sent request lands on the same job while it is retained.
    const alert = data as JobPayloadMap[JobName.AlertSend];
    return `alert-${safeIdPart(alert.clientId)}-${safeIdPart(alert.alertKey)}`;
  }
  if (name === JobName.NoticeSend) {
    // One notice job per incident: a retried or replayed announce lands on the same job while it is retained.
    const notice = data as JobPayloadMap[JobName.NoticeSend];
    return `notice-${safeIdPart(notice.clientId)}-${safeIdPart(notice.incidentId)}`;
  }
  // Random, unguessable ids: `/api/jobs/:id` is looked up by id (and then checked against the key's client).
  return `${ID_PREFIX[name]}-${randomUUID()}`;
}

interface Policy {
  attempts: number;
  backoffMs: number;
  keepCompletedSec: number;
  keepFailedSec: number;
}

/*
 * Completed jobs stay readable long enough for `GET /api/jobs/:id` after a `Prefer: respond-async` call;
 * alerts stay a day so a re-sent alert within that day is absorbed by the job id before it reaches the ledger.
 * SMTP down → alerts keep retrying for about 3 to 6 h (exponential from 10 s with jitter, 12 attempts) instead
 * of being dropped; a failed alert job stays a week for inspection.
 */
const POLICY: Record<JobName, Policy> = {
  [JobName.FrameAnalyze]: { attempts: 3, backoffMs: 2_000, keepCompletedSec: HOUR, keepFailedSec: 24 * HOUR },
  [JobName.VideoCreate]: { attempts: 3, backoffMs: 5_000, keepCompletedSec: 6 * HOUR, keepFailedSec: 24 * HOUR },
  [JobName.VideoCompress]: { attempts: 3, backoffMs: 5_000, keepCompletedSec: 6 * HOUR, keepFailedSec: 24 * HOUR },
  [JobName.AlertSend]: { attempts: 12, backoffMs: 10_000, keepCompletedSec: 24 * HOUR, keepFailedSec: 7 * 24 * HOUR },
  // A notice is worth something for minutes, not hours: a few retries after the adapter's own (2 s → ~1 min).
  [JobName.NoticeSend]: { attempts: 6, backoffMs: 2_000, keepCompletedSec: 24 * HOUR, keepFailedSec: 7 * 24 * HOUR },
  [JobName.StorageCleanup]: { attempts: 3, backoffMs: 30_000, keepCompletedSec: 6 * HOUR, keepFailedSec: 24 * HOUR },
  // The next scheduled run picks up what a failed one left (each client's day is claimed once).
  [JobName.DigestRun]: { attempts: 2, backoffMs: 30_000, keepCompletedSec: HOUR, keepFailedSec: 24 * HOUR },
  [JobName.ClientErase]: { attempts: 5, backoffMs: 30_000, keepCompletedSec: 24 * HOUR, keepFailedSec: 7 * 24 * HOUR },
};

/** The one place job options are decided. */
export function jobOptionsFor<N extends JobName>(name: N, data: JobPayloadMap[N], jobId?: string): JobsOptions {
  const p = POLICY[name];
  return {
    jobId: jobId ?? jobIdFor(name, data),
    attempts: p.attempts,
    // Jitter spreads retries of many jobs that failed together (a Redis or SMTP blip) instead of a herd.
    backoff: { type: 'exponential', delay: p.backoffMs, jitter: 0.5 },
    // By age only: a count per queue would let one tenant's flood evict everyone's results. The count is
    // kept per tenant instead (FairShare.keepResult in the worker, `resultsPerClient`).
    removeOnComplete: { age: p.keepCompletedSec },
    removeOnFail: { age: p.keepFailedSec },
  };
}

export function isSafeJobId(jobId: string): boolean {
  return /^[A-Za-z0-9_-]{1,200}$/.test(jobId) && !/^\d+$/.test(jobId);
}

export function assertSafeJobId(jobId: string): void {
  if (!isSafeJobId(jobId)) {
    throw new AppError(ErrorCode.ValidationFailed, 'invalid job id: use [A-Za-z0-9_-], not all digits', {
      field: 'jobId',
    });
  }
}
