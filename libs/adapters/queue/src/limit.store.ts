import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

/** A token bucket's size and refill: `burst` tokens at most, one more every `intervalMs`. */
export interface BucketRate {
  intervalMs: number;
  burst: number;
}

/** One take from a token bucket. */
export interface BucketTake {
  allowed: boolean;
  /** Milliseconds until the same take would be allowed; 0 when it was. */
  retryAfterMs: number;
}

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

/*
 * A token bucket kept as its theoretical arrival time (GCRA): one key holding the instant, in ms of Redis's
 * own clock (the same for every instance), at which the bucket is full again. A take of `cost` moves it on
 * by cost × interval, allowed while it stays within `burst` intervals of now (a take of more than `burst`
 * needs a full bucket).
 * ARGV: interval ms per token, burst (tokens), cost. Returns {allowed 0/1, ms until allowed}.
 */
// Redis's own clock in ms, the same for every instance.
const NOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

const TAKE_LUA = `${NOW_LUA}
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local after = tat + tonumber(ARGV[3]) * interval
local wait = after - math.max(tonumber(ARGV[2]), tonumber(ARGV[3])) * interval - now
if wait > 0 then return {0, wait} end
redis.call('SET', KEYS[1], after, 'PX', after - now)
return {1, 0}
`;

// Moves the arrival time back by cost × interval, never before now (a full bucket stays full).
const GIVE_BACK_LUA = `${NOW_LUA}
local tat = tonumber(redis.call('GET', KEYS[1]) or 0)
local back = tat - tonumber(ARGV[2]) * tonumber(ARGV[1])
if back <= now then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], back, 'PX', back - now)
return 1
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

  /** Adds one to a plain counter kept for two days (what is counted, never limited). */
  async count(bucket: string): Promise<void> {
    await this.hit(bucket, Number.MAX_SAFE_INTEGER, 2 * 86_400_000);
  }

  /** The value of a `count` counter; 0 when there is none. */
  async counted(bucket: string): Promise<number> {
    return Number((await this.redis.get(this.key(bucket))) ?? 0);
  }

  /**
   * Takes `cost` tokens from `bucket` when it has them, else nothing (and says when it will). Unlike a fixed
   * window, which lets `max` through at once at each window's start, a bucket admits a burst of `burst`
   * and then one per interval, so a client over its rate gets a steady trickle, not one burst a minute.
   */
  async take(bucket: string, rate: BucketRate, cost = 1): Promise<BucketTake> {
    const [allowed, wait] = (await this.redis.eval(
      TAKE_LUA,
      1,
      this.key(bucket),
      intervalOf(rate),
      String(rate.burst),
      String(cost),
    )) as [number, number];
    return { allowed: allowed === 1, retryAfterMs: allowed === 1 ? 0 : Math.max(1, wait) };
  }

  /** Puts back `cost` tokens taken from `bucket` for a request that was not carried out after all. */
  async giveBack(bucket: string, rate: BucketRate, cost = 1): Promise<void> {
    await this.redis.eval(GIVE_BACK_LUA, 1, this.key(bucket), intervalOf(rate), String(cost));
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

/** A bucket's interval as the scripts take it: whole milliseconds, at least one (their arithmetic stays exact). */
function intervalOf(rate: BucketRate): string {
  return String(Math.max(1, Math.round(rate.intervalMs)));
}
