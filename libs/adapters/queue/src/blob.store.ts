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
// Beside them: `:held` (ZSET blob → end of the short hold a request takes while it builds its job), `:refs`
// (HASH blob → queued jobs that reserved it), `:loose` (SET: blobs no buffer and no last upload points at),
// `:job:<jobId>` (SET: the blobs one job reserved) and `:jobs` (ZSET job id → expiry, for erasure).
// Every script takes the same first five KEYS: index, sizes, held, refs, loose. Expired entries are
// forgotten first; then one script does the whole change, so two instances never both squeeze under the
// quota nor both free one frame. (Blob keys are built inside the scripts: fine on one Redis, not on Redis Cluster.)
const PRUNE_LUA = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, k in ipairs(gone) do
  local sz = tonumber(redis.call('HGET', KEYS[2], k) or '0')
  redis.call('HINCRBY', KEYS[2], '#total', -sz)
  redis.call('HDEL', KEYS[2], k)
  redis.call('HDEL', KEYS[4], k)
  redis.call('SREM', KEYS[5], k)
end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
local function forget(k)
  local sz = redis.call('HGET', KEYS[2], k)
  if sz then
    redis.call('HINCRBY', KEYS[2], '#total', -tonumber(sz))
    redis.call('HDEL', KEYS[2], k)
    redis.call('ZREM', KEYS[1], k)
  end
  redis.call('ZREM', KEYS[3], k)
  redis.call('HDEL', KEYS[4], k)
  redis.call('SREM', KEYS[5], k)
end
local function held(k)
  return tonumber(redis.call('ZSCORE', KEYS[3], k) or '0') > tonumber(ARGV[1])
    or tonumber(redis.call('HGET', KEYS[4], k) or '0') > 0
end
`;

// ARGV: now, ttl ms, max bytes, max blobs, blob key prefix, then (key, bytes) pairs. New blobs are loose
// until a buffer or the last upload points at them (bind).
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
  redis.call('SADD', KEYS[5], ARGV[i])
end
redis.call('HINCRBY', KEYS[2], '#total', add)
for i = 1, 5 do if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end end
return {1, total + add, count + n, '0'}
`;

// ARGV: now, blob key prefix, mode, keys... Modes: 'all' deletes every given blob; 'unbind' (a buffer or
// the last upload let go of them) deletes those no job holds and marks the others loose; 'discard' (a
// request stored them but no job took them) deletes only loose ones no job holds.
const DELETE_LUA = `
${PRUNE_LUA}
local deleted = 0
for i = 4, #ARGV do
  local k = ARGV[i]
  local drop = ARGV[3] == 'all'
  if ARGV[3] == 'unbind' then
    drop = not held(k)
    if not drop and redis.call('ZSCORE', KEYS[1], k) then
      redis.call('SADD', KEYS[5], k)
      local ttl = redis.call('PTTL', KEYS[1])
      if ttl > 0 and redis.call('PTTL', KEYS[5]) < ttl then redis.call('PEXPIRE', KEYS[5], ttl) end
    end
  elseif ARGV[3] == 'discard' then
    drop = redis.call('SISMEMBER', KEYS[5], k) == 1 and not held(k)
  end
  if drop then
    deleted = deleted + redis.call('DEL', ARGV[2] .. k)
    forget(k)
  end
end
return deleted
`;

// A buffer or the last upload points at these blobs now: not loose.
const BIND_LUA = `
${PRUNE_LUA}
for i = 2, #ARGV do redis.call('SREM', KEYS[5], ARGV[i]) end
return 0
`;

// KEYS[6] the job's reservation, KEYS[7] the jobs index; ARGV: now, ttl ms, job id, keys... Only this
// client's stored blobs are reserved, each once per job; the request's hold on them ends (the reservation
// protects them now).
const RESERVE_LUA = `
${PRUNE_LUA}
local ttl = tonumber(ARGV[2])
local n = 0
for i = 4, #ARGV do
  local k = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], k) and redis.call('SADD', KEYS[6], k) == 1 then
    redis.call('HINCRBY', KEYS[4], k, 1)
    n = n + 1
  end
  redis.call('ZREM', KEYS[3], k)
end
if n > 0 then
  redis.call('PEXPIRE', KEYS[6], ttl)
  redis.call('ZADD', KEYS[7], tonumber(ARGV[1]) + ttl, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', ARGV[1])
  for _, key in ipairs({KEYS[4], KEYS[7]}) do
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
  end
end
return n
`;

// The job finished for good (or was never queued): its reservation is deleted in the same script that
// gives its blobs back, so a second call (a retried bookkeeping, a double completion) finds nothing.
// ARGV: now, blob key prefix, job id. Returns the blobs deleted.
const RELEASE_JOB_LUA = `
${PRUNE_LUA}
local ks = redis.call('SMEMBERS', KEYS[6])
if #ks == 0 then return 0 end
redis.call('DEL', KEYS[6])
redis.call('ZREM', KEYS[7], ARGV[3])
local deleted = 0
for _, k in ipairs(ks) do
  if redis.call('HINCRBY', KEYS[4], k, -1) <= 0 then redis.call('HDEL', KEYS[4], k) end
  if redis.call('SISMEMBER', KEYS[5], k) == 1 and not held(k) then
    deleted = deleted + redis.call('DEL', ARGV[2] .. k)
    forget(k)
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
      this.redis.eval(PUT_LUA, 5, ...this.clientKeys(clientId), ...args),
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
    await this.deleteOwned(clientId, valid, 'all');
  }

  /**
   * A request reads blobs from a buffer for the job it is building: until the job reserves them (or
   * `ttlSec` has passed), trimming the buffer leaves them instead of deleting them under the request.
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

  /**
   * A buffer (trimmed, cleared) or the last upload (replaced) no longer points at these blobs: deleted now,
   * except those a request holds or a queued job reserved (those go when their job is released).
   */
  async release(clientId: string, keys: string[]): Promise<number> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    return valid.length ? this.deleteOwned(clientId, valid, 'unbind') : 0;
  }

  /** A buffer or the last upload points at these blobs now: a job's release leaves them. */
  async bind(clientId: string, keys: string[]): Promise<void> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    if (valid.length === 0) return;
    await this.run(() => this.redis.eval(BIND_LUA, 5, ...this.clientKeys(clientId), String(Date.now()), ...valid));
  }

  /**
   * Blobs a request stored that no job took after all (refused, or a replay absorbed by the original job):
   * deleted now, except those a buffer or the last upload points at, or a job reserved.
   */
  async discard(clientId: string, keys: string[]): Promise<number> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    return valid.length ? this.deleteOwned(clientId, valid, 'discard') : 0;
  }

  /**
   * The job `jobId` will read these blobs: they stay (and count) until `releaseJob`, or `ttlSec` at most.
   * Returns how many were reserved (blobs of no client, or already reserved by this job, are not).
   */
  async reserve(clientId: string, jobId: string, keys: string[], ttlSec: number): Promise<number> {
    const valid = keys.filter((k) => KEY_RE.test(k));
    if (valid.length === 0) return 0;
    return (await this.run(() =>
      this.redis.eval(
        RESERVE_LUA,
        7,
        ...this.clientKeys(clientId),
        this.jobKey(clientId, jobId),
        this.jobsKey(clientId),
        String(Date.now()),
        String(Math.ceil(ttlSec * 1000)),
        jobId,
        ...valid,
      ),
    )) as number;
  }

  /**
   * The job finished for good (or was never queued): its reserved blobs that no buffer, upload, request or
   * other job still points at are deleted, and leave the client's quota. Idempotent: the reservation is
   * deleted in the same script. Returns the blobs deleted.
   */
  async releaseJob(clientId: string, jobId: string): Promise<number> {
    return (await this.run(() =>
      this.redis.eval(
        RELEASE_JOB_LUA,
        7,
        ...this.clientKeys(clientId),
        this.jobKey(clientId, jobId),
        this.jobsKey(clientId),
        String(Date.now()),
        `${this.prefix}:blob:`,
        jobId,
      ),
    )) as number;
  }

  /** What the client keeps now. */
  async usage(clientId: string): Promise<BlobUsage> {
    await this.run(() => this.redis.eval(PRUNE_LUA, 5, ...this.clientKeys(clientId), String(Date.now())));
    const [total, count] = await this.run(() =>
      Promise.all([this.redis.hget(this.sizeKey(clientId), '#total'), this.redis.zcard(this.ownerKey(clientId))]),
    );
    return { bytes: Number(total ?? 0), blobs: count };
  }

  /** Deletes every blob of the client, held or not, and its index (erasure). Returns the blobs deleted. */
  async eraseClient(clientId: string): Promise<number> {
    const keys = await this.run(() => this.redis.zrange(this.ownerKey(clientId), 0, -1));
    const held = await this.run(() => this.redis.zrange(this.heldKey(clientId), 0, -1));
    const jobs = await this.run(() => this.redis.zrange(this.jobsKey(clientId), 0, -1));
    const all = [...new Set([...keys, ...held])].filter((k) => KEY_RE.test(k));
    let deleted = 0;
    for (let i = 0; i < all.length; i += 500) {
      deleted += await this.run(() => this.redis.del(...all.slice(i, i + 500).map((k) => this.redisKey(k))));
    }
    for (let i = 0; i < jobs.length; i += 500) {
      await this.run(() => this.redis.del(...jobs.slice(i, i + 500).map((j) => this.jobKey(clientId, j))));
    }
    await this.run(() => this.redis.del(...this.clientKeys(clientId), this.jobsKey(clientId)));
    return deleted;
  }

  private async deleteOwned(clientId: string, keys: string[], mode: 'all' | 'unbind' | 'discard'): Promise<number> {
    return (await this.run(() =>
      this.redis.eval(
        DELETE_LUA,
        5,
        ...this.clientKeys(clientId),
        String(Date.now()),
        `${this.prefix}:blob:`,
        mode,
        ...keys,
      ),
    )) as number;
  }

  /** The five keys every script takes first: index, sizes, held, refs, loose. */
  private clientKeys(clientId: string): [string, string, string, string, string] {
    const base = this.ownerKey(clientId);
    return [base, `${base}:size`, `${base}:held`, `${base}:refs`, `${base}:loose`];
  }

  private jobKey(clientId: string, jobId: string): string {
    return `${this.ownerKey(clientId)}:job:${jobId}`;
  }

  private jobsKey(clientId: string): string {
    return `${this.ownerKey(clientId)}:jobs`;
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
