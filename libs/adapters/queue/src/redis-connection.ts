import { Redis, type RedisOptions } from 'ioredis';

/** Producer side (gateway): fail fast when Redis is down so the caller can answer 503 (BullMQ: failing fast). */
export function producerRedisOptions(): RedisOptions {
  return {
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 1,
    // Keep reconnecting in the background, never faster than every 2 s.
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  };
}

/** Worker side and blocking readers: wait for Redis forever (BullMQ requires maxRetriesPerRequest null). */
export function workerRedisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(500 * times, 5_000),
  };
}

export function createProducerRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, producerRedisOptions());
}

export function createWorkerRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, workerRedisOptions());
}

export type { Redis } from 'ioredis';
