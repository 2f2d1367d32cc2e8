import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ErrorCode } from '@vigint/contracts';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { BlobStore, ClientStateStore } from '../../src/index';

/*
 * Issue 14: one tenant cannot fill Redis. The per-client frame quota (bytes and count) on real Redis under
 * a test-only prefix; buffers delete what they trim, except frames a queued job holds.
 */
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = testRedisPrefix('blobq');
let redis: Redis;
let blobs: BlobStore;
let state: ClientStateStore;
const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

async function keysOf(pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}
const exists = async (key: string) =>
  blobs.get(key).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  blobs = new BlobStore(redis, prefix, { maxBytes: 1000, maxBlobs: 5 });
  state = new ClientStateStore({ redis, prefix, ttlSeconds: 60, maxFrames: 3, blobs });
});
afterAll(async () => {
  await cleanupRedisPrefix(REDIS_URL, prefix);
  await redis?.quit();
});

describe('BlobStore frame quota', () => {
  it('refuses past the bytes or the count with 429 (Retry-After), a call over the whole quota with 413; other clients unaffected', async () => {
    await blobs.putMany([bytes(300), bytes(300), bytes(300)], 60, 'a');
    expect(await blobs.usage('a')).toEqual({ bytes: 900, blobs: 3 });
    const over = await blobs.putMany([bytes(200)], 60, 'a').catch((e: unknown) => e);
    expect(over).toMatchObject({ code: ErrorCode.RateLimited, field: 'frames' });
    expect((over as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeGreaterThan(0);
    expect((over as Error).message).toMatch(/frame quota exceeded: the client keeps 3 frames/);
    // Nothing of the refused call was written.
    expect(await blobs.usage('a')).toEqual({ bytes: 900, blobs: 3 });
    await expect(blobs.putMany([bytes(1001)], 60, 'b')).rejects.toMatchObject({ code: ErrorCode.PayloadTooLarge });
    // Count: 5 frames at most, however small.
    const keys = await blobs.putMany([bytes(1), bytes(1), bytes(1), bytes(1), bytes(1)], 60, 'b');
    await expect(blobs.putMany([bytes(1)], 60, 'b')).rejects.toMatchObject({ code: ErrorCode.RateLimited });
    // Deleting gives the quota back.
    await blobs.deleteMany(keys.slice(0, 2), 'b');
    expect(await blobs.usage('b')).toEqual({ bytes: 3, blobs: 3 });
    await blobs.putMany([bytes(1), bytes(1)], 60, 'b');
    expect(await exists(keys[0]!)).toBe(false);
    // Without a client (worker, benches) nothing is counted.
    await blobs.putMany([bytes(5000)], 60);
  });

  it('expired frames stop counting', async () => {
    await blobs.putMany([bytes(900)], 1, 'c');
    await expect(blobs.putMany([bytes(200)], 1, 'c')).rejects.toMatchObject({ code: ErrorCode.RateLimited });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await blobs.usage('c')).toEqual({ bytes: 0, blobs: 0 });
    await blobs.putMany([bytes(900)], 1, 'c');
  });
});

describe('buffers and the quota', () => {
  it('trimming a buffer deletes the trimmed blobs at once, so a camera feeding its buffer never hits the quota', async () => {
    const all: string[] = [];
    for (let i = 0; i < 12; i++) {
      const [key] = await blobs.putMany([bytes(100)], 60, 'd');
      all.push(key!);
      expect(await state.pushFrames('d', 'cam', [key!])).toBe(Math.min(i + 1, 3));
    }
    expect(await blobs.usage('d')).toEqual({ bytes: 300, blobs: 3 });
    for (const k of all.slice(0, 9)) expect(await exists(k)).toBe(false);
    for (const k of all.slice(9)) expect(await exists(k)).toBe(true);
  });

  it('frames a job took from the buffer are held: trimmed later, they stay until their TTL', async () => {
    const first = await blobs.putMany([bytes(10), bytes(10), bytes(10)], 60, 'e');
    await state.pushFrames('e', 'cam', first);
    const forJob = await state.getFrames('e', 'cam', 2);
    expect(forJob).toEqual(first.slice(1));
    const next: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [key] = await blobs.putMany([bytes(10)], 60, 'e');
      next.push(key!);
      await state.pushFrames('e', 'cam', [key!]);
    }
    expect(await redis.lrange(`${prefix}:state:e:frames:cam`, 0, -1)).toEqual(next);
    expect(await exists(first[0]!)).toBe(false);
    for (const k of forJob) expect(await exists(k)).toBe(true);
    // Held frames still count: the job may read them, so they still take room.
    expect(await blobs.usage('e')).toEqual({ bytes: 50, blobs: 5 });
    // clearFrames releases what is not held either.
    await state.clearFrames('e', 'cam');
    for (const k of next) expect(await exists(k)).toBe(false);
    for (const k of forJob) expect(await exists(k)).toBe(true);
  });

  it("clear (erase) removes every frame, held or not, and the client's quota keys", async () => {
    const k = await blobs.putMany([bytes(10), bytes(10)], 60, 'f');
    await state.pushFrames('f', 'cam', k);
    await state.getFrames('f', 'cam');
    const loose = await blobs.putMany([bytes(10)], 60, 'f');
    await state.clear('f');
    for (const key of [...k, ...loose]) expect(await exists(key)).toBe(false);
    expect(await keysOf(`${prefix}:*:f`)).toEqual([]);
    expect(await keysOf(`${prefix}:*:f:*`)).toEqual([]);
    expect(await blobs.usage('f')).toEqual({ bytes: 0, blobs: 0 });
  });
});

describe('frames reserved by a job', () => {
  it("a finished job's own frames leave the quota when it is released, once; a second release takes nothing", async () => {
    const own = await blobs.putMany([bytes(10), bytes(10)], 60, 'g');
    expect(await blobs.reserve('g', 'job-1', own, 60)).toBe(2);
    expect(await blobs.usage('g')).toEqual({ bytes: 20, blobs: 2 });
    expect(await blobs.releaseJob('g', 'job-1')).toBe(2);
    expect(await blobs.usage('g')).toEqual({ bytes: 0, blobs: 0 });
    for (const k of own) expect(await exists(k)).toBe(false);
    // A double completion (or a retried bookkeeping) releases nothing more.
    const later = await blobs.putMany([bytes(10)], 60, 'g');
    expect(await blobs.releaseJob('g', 'job-1')).toBe(0);
    expect(await blobs.usage('g')).toEqual({ bytes: 10, blobs: 1 });
    expect(await exists(later[0]!)).toBe(true);
  });

  it('frames a buffer still points at stay after the job; frames trimmed while reserved go with the last job that reserved them', async () => {
    const first = await blobs.putMany([bytes(10), bytes(10), bytes(10)], 60, 'h');
    await state.pushFrames('h', 'cam', first);
    const forA = await state.getFrames('h', 'cam');
    await blobs.reserve('h', 'job-a', forA, 60);
    await blobs.reserve('h', 'job-b', [forA[1]!], 60);
    // Released while the buffer still holds them: they stay, still counted by the buffer.
    expect(await blobs.releaseJob('h', 'job-a')).toBe(0);
    for (const k of first) expect(await exists(k)).toBe(true);
    await blobs.reserve('h', 'job-c', forA, 60);
    // The buffer moves on: its two oldest frames are trimmed, but job-b and job-c still need them.
    const next = await blobs.putMany([bytes(10), bytes(10)], 60, 'h');
    await state.pushFrames('h', 'cam', next);
    expect(await blobs.usage('h')).toEqual({ bytes: 50, blobs: 5 });
    expect(await blobs.releaseJob('h', 'job-c')).toBe(1);
    expect(await exists(first[0]!)).toBe(false);
    for (const k of first.slice(1)) expect(await exists(k)).toBe(true);
    expect(await blobs.releaseJob('h', 'job-b')).toBe(1);
    expect(await blobs.usage('h')).toEqual({ bytes: 30, blobs: 3 });
    for (const k of [first[2]!, ...next]) expect(await exists(k)).toBe(true);
  });

  it("the last upload's stills stay after a job read them, and go when the upload is replaced (unless reserved)", async () => {
    const stills = await blobs.putMany([bytes(10), bytes(10)], 60, 'i');
    const upload = { artifactId: 'a1', filename: 'v.mp4', sizeBytes: 1, durationSeconds: 1, frameCount: 2 };
    await state.setLastUpload('i', { ...upload, frameBlobKeys: stills, uploadedAt: new Date().toISOString() });
    await blobs.reserve('i', 'job-u', [stills[1]!], 60);
    await blobs.releaseJob('i', 'job-u');
    for (const k of stills) expect(await exists(k)).toBe(true);
    await blobs.reserve('i', 'job-v', [stills[1]!], 60);
    const newer = await blobs.putMany([bytes(10)], 60, 'i');
    await state.setLastUpload('i', { ...upload, frameBlobKeys: newer, uploadedAt: new Date().toISOString() });
    expect(await exists(stills[0]!)).toBe(false);
    expect(await exists(stills[1]!)).toBe(true);
    await blobs.releaseJob('i', 'job-v');
    expect(await blobs.usage('i')).toEqual({ bytes: 10, blobs: 1 });
    // A request's frames no job took (refused, replay absorbed): discarded unless something points at them.
    const spare = await blobs.putMany([bytes(10)], 60, 'i');
    expect(await blobs.discard('i', [...spare, ...newer])).toBe(1);
    expect(await exists(newer[0]!)).toBe(true);
  });

  it('erasure removes the reservations too', async () => {
    const k = await blobs.putMany([bytes(10)], 60, 'j');
    await blobs.reserve('j', 'job-e', k, 60);
    await state.clear('j');
    expect(await keysOf(`${prefix}:*:j`)).toEqual([]);
    expect(await keysOf(`${prefix}:*:j:*`)).toEqual([]);
  });
});
