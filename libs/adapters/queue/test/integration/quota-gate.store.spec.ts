import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { RedisQuotaGate } from '../../src/index';

const prefix = testRedisPrefix('quota');
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let a: Redis;
let b: Redis;

beforeAll(() => {
  a = new Redis(url);
  b = new Redis(url);
});
afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await cleanupRedisPrefix(prefix);
});

describe('RedisQuotaGate (real Redis)', () => {
  it('a block by one process is seen by another; only the first blocker is told it was first', async () => {
    const gw = new RedisQuotaGate(a, prefix);
    const worker = new RedisQuotaGate(b, prefix);
    const until = Date.now() + 60_000;
    expect(await worker.blockedUntil('gemini-3.8-flash')).toBeUndefined();
    const firsts = await Promise.all([gw.block('gemini-3.8-flash', until), worker.block('gemini-3.8-flash', until)]);
    expect(firsts.filter(Boolean)).toHaveLength(1);
    expect(await worker.blockedUntil('gemini-3.8-flash')).toBe(until);
    expect(await gw.blockedUntil('gemini-3.5-flash-lite')).toBeUndefined();
    // A later reset extends the block; an earlier one does not shorten it.
    expect(await gw.block('gemini-3.8-flash', until + 5000)).toBe(false);
    expect(await worker.block('gemini-3.8-flash', until - 5000)).toBe(false);
    expect(await worker.blockedUntil('gemini-3.8-flash')).toBe(until + 5000);
  });

  it('the key expires at the reset time', async () => {
    const gate = new RedisQuotaGate(a, prefix);
    const until = Date.now() + 300;
    expect(await gate.block('m-short', until)).toBe(true);
    const pttl = await a.pttl(`${prefix}:ai-quota:m-short`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await new Promise((r) => setTimeout(r, 400));
    expect(await a.exists(`${prefix}:ai-quota:m-short`)).toBe(0);
    expect(await gate.blockedUntil('m-short')).toBeUndefined();
    // A reset already past blocks nothing.
    expect(await gate.block('m-past', Date.now() - 1)).toBe(false);
  });
});
