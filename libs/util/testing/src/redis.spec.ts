import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRedisPrefix, DEFAULT_TEST_REDIS_URL, testRedisPrefix } from './redis';

const url = process.env.REDIS_URL || DEFAULT_TEST_REDIS_URL;
const redis = new Redis(url);
afterAll(() => redis.quit());

describe('redis test prefixes', () => {
  it('hands out distinct prefixes', () => {
    const a = testRedisPrefix('x');
    const b = testRedisPrefix('x');
    expect(a).not.toBe(b);
    expect(a).not.toContain(':');
  });

  it('removes only the keys under its prefix', async () => {
    const mine = testRedisPrefix('mine');
    const other = testRedisPrefix('other');
    try {
      for (let i = 0; i < 1200; i++) await redis.set(`${mine}:k${i}`, 'v');
      await redis.set(`${other}:keep`, 'v');
      expect(await cleanupRedisPrefix(url, mine)).toBe(1200);
      expect(await redis.exists(`${mine}:k0`)).toBe(0);
      expect(await redis.get(`${other}:keep`)).toBe('v');
      await redis.set(`${mine}:again`, 'v');
      expect(await cleanupRedisPrefix(mine)).toBe(1);
    } finally {
      await redis.del(`${other}:keep`);
    }
  });
});
