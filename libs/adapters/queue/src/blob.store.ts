import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode } from '@vigint/contracts';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

const KEY_RE = /^blob-[A-Za-z0-9-]{1,80}$/;
const MB = 1024 * 1024;

/** What one client may keep in Redis at once (its frames, buffered or waiting for a job). */
export interface BlobQuota {
  maxBytes: number;
  maxBlobs: number;
}

/** The client's blobs now (after expired ones are forgotten). */
export interface BlobUsage {
  bytes: number;
  blobs: number;
}

// Per client: `<p>:blobs:<client>` (ZSET blob key → expiry ms) and `<p>:blobs:<client>:size` (HASH blob key →
// bytes, plus '#total'). Blobs all share one TTL per call, so the index expires with the newest blob.
// Expired entries are forgotten first, then the quota is checked, then every blob is written: one script,
// so two gateway instances cannot both squeeze under the quota. (Blob keys are built inside the script:
// fine on one Redis, not on Redis Cluster.)
const PRUNE_LUA = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, k in ipairs(gone) do
  local sz = tonumber(redis.call('HGET', KEYS[2], k) or '0')
  redis.call('HINCRBY', KEYS[2], '#total', -sz)
  redis.call('HDEL', KEYS[2], k)
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
`;

const PUT_LUA = `
${PRUNE_LUA}
local total = tonumber(redis.call('HGET', KEYS[2], '#total') or '0')
local count = redis.call('ZCARD', KEYS[1])
local add = 0
local n = (#ARGV - 5) / 2
for i = 6, #ARGV, 2 do add = add + string.len(ARGV[i + 1]) end
if total + add > tonumber(ARGV[3]) or count + n > tonumber(ARGV[4]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, total, count, oldest[2] or ARGV[1]}
end
local ttl = tonumber(ARGV[2])
local exp = tonumber(ARGV[1]) + ttl
for i = 6, #ARGV, 2 do
  redis.call('SET', ARGV[5] .. ARGV[i], ARGV[i + 1], 'PX', ttl)
  redis.call('ZADD', KEYS[1], exp, ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], string.len(ARGV[i + 1]))
end
redis.call('HINCRBY', KEYS[2], '#total', add)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return {1, total + add, count + n, '0'}
`;

// Deletes the given blobs of one client and their index entries; with ARGV[3] = '1' a blob a job holds
// (KEYS[3], blob key → hold expiry) is left to expire instead.
const DELETE_LUA = `
${PRUNE_LUA}
local deleted = 0
for i = 4, #ARGV do
  local k = ARGV[i]
  local held = ARGV[3] == '1' and tonumber(redis.call('ZSCORE', KEYS[3], k) or '0') > tonumber(ARGV[1])
  if not held then
    deleted = deleted + redis.call('DEL', ARGV[2] .. k)
    local sz = redis.call('HGET', KEYS[2], k)
    if sz then
      redis.call('HINCRBY', KEYS[2], '#total', -tonumber(sz))
      redis.call('HDEL', KEYS[2], k)
      redis.call('ZREM', KEYS[1], k)
    end
    redis.call('ZREM', KEYS[3], k)
  end
end
return deleted
`;

/**
 * Transient bytes (uploaded frames) handed from the gateway to a job through Redis, with a TTL of minutes:
 * job payloads carry the key, never the bytes. Keys are opaque `blob-<uuid>`; the Redis key adds the prefix.
 * Blobs stored for a client count against its quota (bytes and count) until they are deleted or expire,
 * so one tenant cannot fill the Redis every tenant's queue runs on.
 */
export class BlobStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
    private readonly quota?: BlobQuota,
  ) {}

  async put(data: Buffer, ttlSec: number, clientId?: string): Promise<string> {
    const [key] = await this.putMany([data], ttlSec, clientId);
    return key!;
  }

  /**
   * Stores several buffers in one round trip; keys in the same order. With a client (and a quota), the
   * whole call is refused when it would take the client past its quota: 413 PAYLOAD_TOO_LARGE when this
   * call alone is larger than the quota, else 429 RATE_LIMITED with the seconds until its oldest blob expires.
   */
  async putMany(items: Buffer[], ttlSec: number, clientId?: string): Promise<string[]> {
    if (!(ttlSec > 0)) throw new AppError(ErrorCode.Internal, 'blob ttl must be positive');
    const keys = items.map(() => `blob-${randomUUID()}`);
    if (items.length === 0) return keys;
    if (clientId !== undefined && this.quota) {
      await this.putOwned(clientId, keys, items, ttlSec, this.quota);
      return keys;
    }
    const pipeline = this.redis.multi();
    items.forEach((buf, i) => pipeline.set(this.redisKey(keys[i]!), buf, 'EX', Math.ceil(ttlSec)));
    const results = await this.run(() => pipeline.exec());
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new AppError(ErrorCode.DependencyUnavailable, 'blob store write failed');
    return keys;
  }

  private async putOwned(clientId: string, keys: string[], items: Buffer[], ttlSec: number, q: BlobQuota) {
    const bytes = items.reduce((n, b) => n + b.length, 0);
    if (bytes > q.maxBytes || items.length > q.maxBlobs) {
      throw new AppError(
        ErrorCode.PayloadTooLarge,
        `frames: ${items.length} frames of ${toMb(bytes)} MB are more than the client's frame quota (${q.maxBlobs} frames, ${toMb(q.maxBytes)} MB)`,
        { field: 'frames', details: { maxBytes: q.maxBytes, maxFrames: q.maxBlobs } },
      );
    }
    const now = Date.now();
    const args: (string | Buffer)[] = [
      String(now),
      String(Math.ceil(ttlSec * 1000)),
      String(q.maxBytes),
      String(q.maxBlobs),
      `${this.prefix}:blob:`,
    ];
    keys.forEach((k, i) => args.push(k, items[i]!));
    const [ok, total, count, oldest] = (await this.run(() =>
      this.redis.eval(PUT_LUA, 2, this.ownerKey(clientId), this.sizeKey(clientId), ...args),
    )) as [number, number, number, string];
    if (ok !== 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((Number(oldest) - now) / 1000));
      throw new AppError(
        ErrorCode.RateLimited,
        `frame quota exceeded: the client keeps ${count} frames of ${toMb(total)} MB in Redis (at most ${q.maxBlobs} frames, ${toMb(q.maxBytes)} MB); older frames expire or are trimmed from the buffers`,
        { field: 'frames', details: { retryAfterSeconds, maxBytes: q.maxBytes, maxFrames: q.maxBlobs } },
      );
    }
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

  /** Deletes blobs; with their client, its quota is given back too. */
  async deleteMany(keys: string[], clientId?: string): Promise<void> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    if (valid.length === 0) return;
    if (clientId === undefined) {
      await this.run(() => this.redis.del(...valid.map((k) => this.redisKey(k))));
      return;
    }
    await this.deleteOwned(clientId, valid, false);
  }

  /**
   * Blobs a queued job will read (frames taken from a buffer): trimming the buffer later leaves them
   * until `ttlSec` has passed instead of deleting them under the job.
   */
  async hold(clientId: string, keys: string[], ttlSec: number): Promise<void> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    if (valid.length === 0) return;
    const exp = Date.now() + Math.ceil(ttlSec * 1000);
    const held = this.heldKey(clientId);
    await this.run(() =>
      this.redis
        .multi()
        .zremrangebyscore(held, '-inf', Date.now())
        .zadd(held, ...valid.flatMap((k) => [exp, k]))
        .pexpire(held, Math.ceil(ttlSec * 1000))
        .exec(),
    );
  }

  /** Deletes blobs dropped from a buffer, except those a job holds (they expire with their TTL). */
  async release(clientId: string, keys: string[]): Promise<number> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    return valid.length ? this.deleteOwned(clientId, valid, true) : 0;
  }

  /** What the client keeps now. */
  async usage(clientId: string): Promise<BlobUsage> {
    await this.run(() =>
      this.redis.eval(PRUNE_LUA, 2, this.ownerKey(clientId), this.sizeKey(clientId), String(Date.now())),
    );
    const [total, count] = await this.run(() =>
      Promise.all([this.redis.hget(this.sizeKey(clientId), '#total'), this.redis.zcard(this.ownerKey(clientId))]),
    );
    return { bytes: Number(total ?? 0), blobs: count };
  }

  /** Deletes every blob of the client, held or not, and its index (erasure). Returns the blobs deleted. */
  async eraseClient(clientId: string): Promise<number> {
    const keys = await this.run(() => this.redis.zrange(this.ownerKey(clientId), 0, -1));
    const held = await this.run(() => this.redis.zrange(this.heldKey(clientId), 0, -1));
    const all = [...new Set([...keys, ...held])].filter((k) => KEY_RE.test(k));
    let deleted = 0;
    for (let i = 0; i < all.length; i += 500) {
      deleted += await this.run(() => this.redis.del(...all.slice(i, i + 500).map((k) => this.redisKey(k))));
    }
    await this.run(() => this.redis.del(this.ownerKey(clientId), this.sizeKey(clientId), this.heldKey(clientId)));
    return deleted;
  }

  private async deleteOwned(clientId: string, keys: string[], skipHeld: boolean): Promise<number> {
    return (await this.run(() =>
      this.redis.eval(
        DELETE_LUA,
        3,
        this.ownerKey(clientId),
        this.sizeKey(clientId),
        this.heldKey(clientId),
        String(Date.now()),
        `${this.prefix}:blob:`,
        skipHeld ? '1' : '0',
        ...keys,
      ),
    )) as number;
  }

  private redisKey(key: string): string {
    return `${this.prefix}:blob:${key}`;
  }

  private ownerKey(clientId: string): string {
    return `${this.prefix}:blobs:${clientId}`;
  }

  private sizeKey(clientId: string): string {
    return `${this.prefix}:blobs:${clientId}:size`;
  }

  private heldKey(clientId: string): string {
    return `${this.prefix}:blobs:${clientId}:held`;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new AppError(ErrorCode.DependencyUnavailable, 'blob store unavailable', { cause: err });
    }
  }
}

/** Bytes as MB with one decimal, for messages. */
function toMb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** A quota from the gateway's MB/count settings. */
export function blobQuota(maxMb: number, maxFrames: number): BlobQuota {
  return { maxBytes: Math.floor(maxMb * MB), maxBlobs: maxFrames };
}
