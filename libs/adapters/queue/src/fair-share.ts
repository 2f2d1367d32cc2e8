import type { Redis } from 'ioredis';
import { JobName } from '@vigint/contracts';

/** BullMQ's largest priority (2^21 - 1); 1 runs first. */
const MAX_PRIORITY = 2_097_151;
/** A tenant's pending count is forgotten after this long without a new job (drift cannot last). */
const PENDING_TTL_SEC = 6 * 3600;
/** A tenant's finished-job index lives as long as the longest retention (failed alerts: a week). */
const RESULTS_TTL_SEC = 7 * 24 * 3600;

const DONE_LUA = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n
`;

const KEEP_LUA = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if over <= 0 then return {} end
local ids = redis.call('ZRANGE', KEYS[1], 0, over - 1)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
return ids
`;

/**
 * Fairness across tenants on a shared queue (BullMQ OSS has no groups). A job's priority is 1 + the
 * number of its tenant's jobs already pending on that queue, so every tenant's next job runs before a
 * flooding tenant's backlog: a rotation by depth. Finished jobs are indexed per tenant, so each keeps its
 * own last N results and a neighbour's flood evicts only its own. Jobs without a tenant (scheduled
 * maintenance) and erase jobs (an admin's, run first) take no part. Keys: `<prefix>:fair:<queue>:<tenant>`, `<prefix>:results:<queue>:<tenant>`;
 * all expire.
 */
/** Jobs that take no part in the rotation even though they name a client. */
export const FAIR_SHARE_EXEMPT: ReadonlySet<string> = new Set([JobName.ClientErase]);

export class FairShare {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** The priority of a new job of `tenant` on `queue` (counted as pending until `done`). */
  async priorityFor(queue: string, tenant: string): Promise<number> {
    const key = this.pendingKey(queue, tenant);
    const res = await this.redis.multi().incr(key).expire(key, PENDING_TTL_SEC).exec();
    const n = Number(res?.[0]?.[1] ?? 1);
    return Math.min(Math.max(1, n), MAX_PRIORITY);
  }

  /** A job of `tenant` left the queue for good (completed, or failed with no attempt left). */
  async done(queue: string, tenant: string): Promise<void> {
    await this.redis.eval(DONE_LUA, 1, this.pendingKey(queue, tenant));
  }

  /** Records a finished job; returns the tenant's oldest finished job ids past `cap`, to remove. */
  async keepResult(queue: string, tenant: string, jobId: string, cap: number): Promise<string[]> {
    return (await this.redis.eval(
      KEEP_LUA,
      1,
      this.resultsKey(queue, tenant),
      String(Date.now()),
      jobId,
      String(Math.max(1, cap)),
      String(RESULTS_TTL_SEC),
    )) as string[];
  }

  /** Erasure: forgets the tenant's counts and finished-job index on these queues. */
  async forget(queues: string[], tenant: string): Promise<void> {
    const keys = queues.flatMap((q) => [this.pendingKey(q, tenant), this.resultsKey(q, tenant)]);
    if (keys.length) await this.redis.del(...keys);
  }

  /** Pending jobs counted for the tenant (tests, diagnostics). */
  async pending(queue: string, tenant: string): Promise<number> {
    return Number((await this.redis.get(this.pendingKey(queue, tenant))) ?? 0);
  }

  private pendingKey(queue: string, tenant: string): string {
    return `${this.prefix}:fair:${queue}:${tenant}`;
  }

  private resultsKey(queue: string, tenant: string): string {
    return `${this.prefix}:results:${queue}:${tenant}`;
  }
}
