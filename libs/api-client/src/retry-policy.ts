/**
 * When and how long to wait before retrying a call to the gateway.
 * Exponential backoff with full jitter (delay = random(0, min(max, base · 2^attempt))): many agents that lost the
 * server at the same moment spread their retries instead of hitting it together when it comes back.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0: one attempt only). */
  retries: number;
  /** First backoff ceiling; doubles per retry. */
  baseDelayMs: number;
  /** Largest backoff ceiling for one wait. */
  maxDelayMs: number;
  /** Bound on the whole call (attempts + waits): no retry starts, and no wait is taken, past it. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxElapsedMs: 120_000,
};

/** Full-jitter delay before retry number `retry` (0-based). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` in milliseconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Statuses worth another attempt: 429 and 5xx. 501 and 505 say the server will never do it; every other 4xx is
 * the caller's to fix, so retrying would only repeat the mistake.
 */
export function isRetryableStatus(status: number): boolean {
  if (status === 429) return true;
  return status >= 500 && status !== 501 && status !== 505;
}
