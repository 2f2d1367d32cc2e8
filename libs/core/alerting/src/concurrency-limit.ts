import pLimit from 'p-limit';

/** At most `concurrency` AI calls in flight per instance, protecting the API key's quota. */
export type ConcurrencyLimit = <T>(fn: () => Promise<T>) => Promise<T>;

export function createConcurrencyLimit(concurrency: number): ConcurrencyLimit {
  const limit = pLimit(Math.max(1, Math.floor(concurrency)));
  return (fn) => limit(fn);
}
