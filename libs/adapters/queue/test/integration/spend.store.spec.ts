import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { RedisSpendStore } from '../../src/index';

const prefix = testRedisPrefix('spend');
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

describe('RedisSpendStore (real Redis)', () => {
  const at = new Date('2026-12-02T10:00:00Z');

  it('adds exactly from many connections at once, per day and month, and the keys expire', async () => {
    const stores = [new RedisSpendStore(a, prefix), new RedisSpendStore(b, prefix)];
    await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 2]!.add('c1', 1234, at)));
    expect(await stores[0]!.totals('c1', at)).toEqual({ dayMicroUsd: 246_800, monthMicroUsd: 246_800 });
    const next = new Date('2026-12-03T00:00:00Z');
    expect(await stores[1]!.add('c1', 1, next)).toEqual({ dayMicroUsd: 1, monthMicroUsd: 246_801 });
    expect(await stores[0]!.totals('c2', at)).toEqual({ dayMicroUsd: 0, monthMicroUsd: 0 });
    const dayTtl = await a.ttl(`${prefix}:limit:spend:c1:d:2026-12-02`);
    const monthTtl = await a.ttl(`${prefix}:limit:spend:c1:m:2026-12`);
    expect(dayTtl).toBeGreaterThan(24 * 3600);
    expect(dayTtl).toBeLessThanOrEqual(2 * 24 * 3600);
    expect(monthTtl).toBeGreaterThan(28 * 24 * 3600);
  });

  it('claims a notice once across instances (SET NX), with an expiry', async () => {
    const s1 = new RedisSpendStore(a, prefix);
    const s2 = new RedisSpendStore(b, prefix);
    const wins = await Promise.all([
      s1.claimNotice('c1', 'day', '2026-12-02', 80),
      s2.claimNotice('c1', 'day', '2026-12-02', 80),
      s1.claimNotice('c1', 'day', '2026-12-02', 80),
    ]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await s2.claimNotice('c1', 'day', '2026-12-02', 100)).toBe(true);
    expect(await s2.claimNotice('c1', 'month', '2026-12', 80)).toBe(true);
    expect(await a.ttl(`${prefix}:limit:spend-notice:c1:day:2026-12-02:80`)).toBeGreaterThan(0);
  });
});
