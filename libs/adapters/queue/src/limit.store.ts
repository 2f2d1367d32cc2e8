import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

/** One counted hit of a fixed window. */
export interface WindowHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** Whether `count` is within `max`. */
  allowed: boolean;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

// INCRBY + PEXPIRE on the first hit, atomically: every gateway instance shares the same window.
const HIT_LUA = `
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

const REFUND_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECRBY', KEYS[1], ARGV[1]) end
return 0
`;

/**
 * Counters and blocks in Redis that every gateway instance shares: fixed-window rate limits, the
 * failed-key throttle and the per-tenant quotas. Keys are `<prefix>:limit:<bucket>` and always expire.
 * Callers decide what to do when Redis is down (the rate limits let requests through, the routes
 * themselves answer 503).
 */
export class LimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
  ) {}

  private key(bucket: string): string {
    return `${this.prefix}:limit:${bucket}`;
  }

  /** Counts `cost` (default 1) against `bucket` in a window of `windowMs`; allowed while the total is ≤ `max`. */
  async hit(bucket: string, max: number, windowMs: number, cost = 1): Promise<WindowHit> {
    const [count, ttl] = (await this.redis.eval(HIT_LUA, 1, this.key(bucket), String(windowMs), String(cost))) as [
      number,
      number,
    ];
    return { count, allowed: count <= max, resetMs: Math.max(1, ttl) };
  }

  /**
   * Gives back a hit that was counted but not used (a request refused for another reason). A window that
   * has ended meanwhile is left alone (a DECRBY would recreate its key without a TTL).
   */
  async refund(bucket: string, cost = 1): Promise<void> {
    await this.redis.eval(REFUND_LUA, 1, this.key(bucket), String(cost));
  }

  /**
   * Remembers for `ttlMs` that a request with this id was accepted (an alert's Idempotency-Key), so a
   * replay of it is not charged again; `accepted` reads it back.
   */
  async markAccepted(id: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(`once:${id}`), '1', 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  /** Whether `markAccepted(id)` was called within its TTL. */
  async accepted(id: string): Promise<boolean> {
    return (await this.redis.exists(this.key(`once:${id}`))) === 1;
  }

  /** Blocks `bucket` for `ms` (a later `blockedMs` reads the rest). */
  async block(bucket: string, ms: number): Promise<void> {
    await this.redis.set(this.key(`block:${bucket}`), '1', 'PX', Math.max(1, Math.ceil(ms)));
  }

  /** Milliseconds the block of `bucket` still lasts; 0 when not blocked. */
  async blockedMs(bucket: string): Promise<number> {
    const ttl = await this.redis.pttl(this.key(`block:${bucket}`));
    return ttl > 0 ? ttl : 0;
  }
}
