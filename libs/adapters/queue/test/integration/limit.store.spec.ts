import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { LimitStore } from '../../src/index';

/*
 * Issue 14: the job quota as a token bucket on real Redis under a test-only prefix. A fixed window let a
 * flooding client's whole minute of jobs through at once at each window's start; a bucket lets a burst
 * through, then one per interval. Two stores on two connections stand for two gateway instances.
 */
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = testRedisPrefix('limits');
let redis: Redis;
let other: Redis;
let a: LimitStore;
let b: LimitStore;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  other = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  a = new LimitStore(redis, prefix);
  b = new LimitStore(other, prefix);
});
afterAll(async () => {
  await cleanupRedisPrefix(REDIS_URL, prefix);
  await redis?.quit();
  await other?.quit();
});

describe('LimitStore token bucket', () => {
  it('admits a burst, then one per interval, shared by every instance, with the wait until the next one', async () => {
    // Long enough that a loaded machine's late timer does not let a second token in.
    const rate = { intervalMs: 2000, burst: 3 };
    const takes = [await a.take('t1', rate), await b.take('t1', rate), await a.take('t1', rate)];
    expect(takes.map((t) => t.allowed)).toEqual([true, true, true]);
    const refused = await b.take('t1', rate);
    expect(refused.allowed).toBe(false);
    // The next token is at most one interval away (a little less: time has passed since the first take).
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(2000);
    // A refused take costs nothing: after the wait it tells, exactly one more goes through, not a new burst.
    await sleep(refused.retryAfterMs + 20);
    expect((await a.take('t1', rate)).allowed).toBe(true);
    expect((await b.take('t1', rate)).allowed).toBe(false);
    // Another bucket (another client or job type) is untouched.
    expect((await a.take('t2', rate)).allowed).toBe(true);
  });

  it('gives back tokens that were not used, never beyond a full bucket; a take of more than the burst needs a full bucket', async () => {
    const rate = { intervalMs: 60_000, burst: 2 };
    expect((await a.take('gb', rate, 2)).allowed).toBe(true);
    expect((await a.take('gb', rate)).allowed).toBe(false);
    await a.giveBack('gb', rate, 1);
    expect((await b.take('gb', rate)).allowed).toBe(true);
    expect((await b.take('gb', rate)).allowed).toBe(false);
    // Giving back more than was taken leaves a full bucket, not a bigger one; its key is gone.
    await a.giveBack('gb', rate, 5);
    expect(await redis.exists(`${prefix}:limit:gb`)).toBe(0);
    expect((await a.take('gb', rate, 2)).allowed).toBe(true);
    expect((await a.take('gb', rate)).allowed).toBe(false);
    // Five at once against a burst of 2: refused while tokens are missing, admitted once the bucket is full.
    expect((await a.take('big', rate, 5)).allowed).toBe(true);
    const again = await a.take('big', rate, 5);
    expect(again.allowed).toBe(false);
    expect(again.retryAfterMs).toBeGreaterThan(4 * 60_000);
  });

  it('every key expires: a bucket key lives only until the bucket is full again', async () => {
    const rate = { intervalMs: 5_000, burst: 4 };
    await a.take('ttl', rate, 3);
    const ttl = await redis.pttl(`${prefix}:limit:ttl`);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
  });
});
