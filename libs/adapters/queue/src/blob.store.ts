import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode } from '@vigint/contracts';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

const KEY_RE = /^blob-[A-Za-z0-9-]{1,80}$/;

/**
 * Transient bytes (uploaded frames) handed from the gateway to a job through Redis, with a TTL of minutes:
 * job payloads carry the key, never the bytes. Keys are opaque `blob-<uuid>`; the Redis key adds the prefix.
 */
export class BlobStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
  ) {}

  async put(data: Buffer, ttlSec: number): Promise<string> {
    const [key] = await this.putMany([data], ttlSec);
    return key!;
  }

  /** Stores several buffers in one round trip; keys in the same order. */
  async putMany(items: Buffer[], ttlSec: number): Promise<string[]> {
    if (!(ttlSec > 0)) throw new AppError(ErrorCode.Internal, 'blob ttl must be positive');
    const keys = items.map(() => `blob-${randomUUID()}`);
    if (items.length === 0) return keys;
    const pipeline = this.redis.multi();
    items.forEach((buf, i) => pipeline.set(this.redisKey(keys[i]!), buf, 'EX', Math.ceil(ttlSec)));
    const results = await this.run(() => pipeline.exec());
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new AppError(ErrorCode.DependencyUnavailable, 'blob store write failed');
    return keys;
  }

  /** The bytes, or NOT_FOUND when the key is unknown or its TTL ran out. */
  async get(key: string): Promise<Buffer> {
    if (!KEY_RE.test(key)) throw new AppError(ErrorCode.NotFound, 'blob not found', { field: 'key' });
    const data = await this.run(() => this.redis.getBuffer(this.redisKey(key)));
    if (!data) throw new AppError(ErrorCode.NotFound, 'blob not found or expired', { field: 'key' });
    return data;
  }

  async getMany(keys: string[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const key of keys) out.push(await this.get(key));
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.deleteMany([key]);
  }

  async deleteMany(keys: string[]): Promise<void> {
    const valid = keys.filter((k) => KEY_RE.test(k)).map((k) => this.redisKey(k));
    if (valid.length) await this.run(() => this.redis.del(...valid));
  }

  private redisKey(key: string): string {
    return `${this.prefix}:blob:${key}`;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new AppError(ErrorCode.DependencyUnavailable, 'blob store unavailable', { cause: err });
    }
  }
}
