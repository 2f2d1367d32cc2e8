import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key / BullMQ prefix no other test uses, e.g. `vt-worker-mi1x2b3c-1f3c9a0b` (no `:`, no glob characters). */
export function testRedisPrefix(label = 'test'): string {
  const safe = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 30);
  return `vt-${safe}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Deletes only the keys under `prefix` (SCAN + UNLINK), never the whole database; returns how many.
 * `cleanupRedisPrefix(prefix)` uses REDIS_URL or redis://127.0.0.1:6379; `cleanupRedisPrefix(url, prefix)` names the server.
 */
export async function cleanupRedisPrefix(redisUrlOrPrefix: string, maybePrefix?: string): Promise<number> {
  const prefix = maybePrefix ?? redisUrlOrPrefix;
  const redisUrl = maybePrefix === undefined ? process.env.REDIS_URL || DEFAULT_TEST_REDIS_URL : redisUrlOrPrefix;
  if (!prefix) throw new Error('cleanupRedisPrefix needs a non-empty prefix');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}
