import type { Redis } from 'ioredis';
import { JobName } from '@vigint/contracts';

/** BullMQ's largest priority (2^21 - 1); 1 runs first. */
const MAX_PRIORITY = 2_097_151;
/**
 * How long a pending job counts without news of it: a job whose settling was lost (its worker SIGKILLed
 * between finishing and bookkeeping, a job removed by hand) stops counting after this, instead of
 * raising its tenant's priority numbers for good. Each attempt's start renews it.
 */
export const PENDING_LEASE_MS = 6 * 3_600_000;
/** A tenant's finished-job index lives as long as the longest retention (failed alerts: a week). */
const RESULTS_TTL_SEC = 7 * 24 * 3600;

// Pending jobs are members of a ZSET (job id → lease end): stale members are dropped before counting,
// and a job id counts once however often it is added (a job absorbed by its id) or settled.
// KEYS[2] is the BullMQ job's hash: a finished job re-added under its id (a re-sent alert) is absorbed by
// BullMQ and never settles again, so it is not counted.
const ADD_LUA = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('HEXISTS', KEYS[2], 'finishedOn') == 0 then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
`;

// Renews a pending job's lease, only when it still counts (a settled job is not brought back).
const TOUCH_LUA = `
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return 0
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
 * maintenance) and erase jobs (an admin's, run first) take no part. Keys: `<prefix>:fair-pending:<queue>:<tenant>`
 * (ZSET job id → lease end, see PENDING_LEASE_MS), `<prefix>:results:<queue>:<tenant>`; all expire.
 */
/** Jobs that take no part in the rotation even though they name a client. */
export const FAIR_SHARE_EXEMPT: ReadonlySet<string> = new Set([JobName.ClientErase]);

export class FairShare {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number = PENDING_LEASE_MS,
  ) {}

  /** The priority of a new job `jobId` of `tenant` on `queue` (counted as pending until `done` or its lease ends). */
  async priorityFor(queue: string, tenant: string, jobId: string): Promise<number> {
    const now = Date.now();
    const n = Number(
      await this.redis.eval(
        ADD_LUA,
        2,
        this.pendingKey(queue, tenant),
        `${this.prefix}:${queue}:${jobId}`,
        String(now),
        String(now + this.leaseMs),
        jobId,
        String(this.leaseMs),
      ),
    );
    return Math.min(Math.max(1, n), MAX_PRIORITY);
  }

  /** An attempt of the job started: its lease is renewed (a long backlog or retries keep counting). */
  async touch(queue: string, tenant: string, jobId: string): Promise<void> {
    const now = Date.now();
    await this.redis.eval(
      TOUCH_LUA,
      1,
      this.pendingKey(queue, tenant),
      String(now + this.leaseMs),
      jobId,
      String(this.leaseMs),
    );
  }

  /** The job left the queue for good (completed, failed with no attempt left, or never queued). Idempotent. */
  async done(queue: string, tenant: string, jobId: string): Promise<void> {
    await this.redis.zrem(this.pendingKey(queue, tenant), jobId);
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
    const keys = queues.flatMap((q) => [
      this.pendingKey(q, tenant),
      this.resultsKey(q, tenant),
      // The counter of earlier versions (a plain INCR/DECR string that expired 6 h after the last job).
      `${this.prefix}:fair:${q}:${tenant}`,
    ]);
    if (keys.length) await this.redis.del(...keys);
  }

  /** Pending jobs counted for the tenant now, stale ones left out (tests, diagnostics). */
  async pending(queue: string, tenant: string): Promise<number> {
    return this.redis.zcount(this.pendingKey(queue, tenant), `(${Date.now()}`, '+inf');
  }

  private pendingKey(queue: string, tenant: string): string {
    return `${this.prefix}:fair-pending:${queue}:${tenant}`;
  }

  private resultsKey(queue: string, tenant: string): string {
    return `${this.prefix}:results:${queue}:${tenant}`;
  }
}
