import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { ErrorCode } from '@vigint/contracts';
import { createTestDatabase, type TestDatabase } from '@vigint/testing';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore, newArtifactKey, type ArtifactStore, type StorageBackend } from '../../src/index';

// One contract, three backends: every store must behave the same for the gateway and the worker.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of `total` pseudo-random bytes in uneven pieces, generated as it is read (never whole in memory). */
function generated(total: number, seed: Buffer): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let i = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(total - sent, 65_536 + ((i * 7919) % 40_000));
      const piece = Buffer.alloc(n, seed[i % seed.length]);
      piece.writeUInt32BE(i, 0);
      i += 1;
      sent += n;
      hash.update(piece);
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

interface Backend {
  name: StorageBackend;
  store: ArtifactStore;
  cleanup: () => Promise<void>;
}

async function diskBackend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-disk-store-'));
  const store = await createArtifactStore({ backend: 'disk', storageDir: dir });
  return { name: 'disk', store, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function postgresBackend(): Promise<Backend> {
  const tdb: TestDatabase = await createTestDatabase('storage');
  // Small chunks so the 5 MB object spans many rows and ranges cross chunk boundaries.
  const store = await createArtifactStore({ backend: 'postgres', databaseUrl: tdb.url, chunkSize: 256 * 1024 });
  return {
    name: 'postgres',
    store,
    cleanup: async () => {
      await store.close();
      await tdb.drop();
    },
  };
}

async function s3Backend(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: 'vigint-test' }],
  });
  const { port } = await server.run();
  const store = await createArtifactStore({
    backend: 's3',
    s3: {
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'vigint-test',
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      prefix: 'artifacts/',
      partSize: 5 * 1024 * 1024, // the 5 MB object then goes up as a multipart upload
    },
  });
  return {
    name: 's3',
    store,
    cleanup: async () => {
      await store.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe.each([
  ['disk', diskBackend],
  ['postgres', postgresBackend],
  ['s3', s3Backend],
] as const)('ArtifactStore contract: %s', (name, make) => {
  let b: Backend;
  beforeAll(async () => {
    b = await make();
  });
  afterAll(async () => {
    await b?.cleanup();
  });

  it('reports its backend', () => {
    expect(b.store.backend).toBe(name);
  });

  it('stores a buffer and reads back the same bytes, size and hash', async () => {
    const data = randomBytes(10_000);
    const key = newArtifactKey('video');
    expect(await b.store.put(key, data)).toEqual({ bytes: 10_000, sha256: sha(data) });
    expect(await b.store.stat(key)).toEqual({ bytes: 10_000 });
    expect(await readAll(await b.store.get(key))).toEqual(data);
  });

  it('streams a 5 MB object in and out unchanged', async () => {
    const key = newArtifactKey('big');
    const src = generated(5 * 1024 * 1024 + 123, randomBytes(64));
    const put = await b.store.put(key, src.stream);
    expect(put.bytes).toBe(5 * 1024 * 1024 + 123);
    expect(put.sha256).toBe(src.digest());
    const out = await b.store.get(key);
    const hash = createHash('sha256');
    let bytes = 0;
    let pieces = 0;
    for await (const chunk of out) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      pieces += 1;
    }
    expect(bytes).toBe(put.bytes);
    expect(hash.digest('hex')).toBe(put.sha256);
    expect(pieces).toBeGreaterThan(1); // it arrived as a stream, not one buffer
  });

  it('serves byte ranges, across chunk boundaries too', async () => {
    const data = randomBytes(600_000);
    const key = newArtifactKey('range');
    await b.store.put(key, data);
    expect(await readAll(await b.store.get(key, { start: 0, end: 9 }))).toEqual(data.subarray(0, 10));
    expect(await readAll(await b.store.get(key, { start: 262_000, end: 530_000 }))).toEqual(data.subarray(262_000, 530_001));
    expect(await readAll(await b.store.get(key, { start: 599_990 }))).toEqual(data.subarray(599_990));
    await expect(b.store.get(key, { start: 700_000 })).rejects.toMatchObject({ code: ErrorCode.BadRequest });
  });

  it('replaces the bytes of an existing key', async () => {
    const key = newArtifactKey();
    await b.store.put(key, Buffer.from('first version, longer'));
    await b.store.put(key, Buffer.from('second'));
    expect((await readAll(await b.store.get(key))).toString()).toBe('second');
  });

  it('keeps an empty artifact distinct from a missing one', async () => {
    const key = newArtifactKey('empty');
    expect(await b.store.put(key, Buffer.alloc(0))).toMatchObject({ bytes: 0 });
    expect(await b.store.stat(key)).toEqual({ bytes: 0 });
    expect(await readAll(await b.store.get(key))).toHaveLength(0);
  });

  it('answers NOT_FOUND for a missing key, and delete reports whether it removed something', async () => {
    const key = newArtifactKey();
    await expect(b.store.get(key)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await b.store.stat(key)).toBeNull();
    await b.store.put(key, Buffer.from('x'));
    expect(await b.store.delete(key)).toBe(true);
    expect(await b.store.delete(key)).toBe(false);
    await expect(b.store.get(key)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('refuses keys that are not generated ids (no path traversal)', async () => {
    for (const bad of ['../../etc/passwd', '..', 'a/b/c/d/e/f', 'clip.mp4', '', 'short', 'x'.repeat(200), 'a\u0000bcdefghij']) {
      await expect(b.store.put(bad, Buffer.from('x'))).rejects.toMatchObject({ code: ErrorCode.InvalidFilename });
      await expect(b.store.get(bad)).rejects.toMatchObject({ code: ErrorCode.NotFound });
      expect(await b.store.stat(bad)).toBeNull();
      expect(await b.store.delete(bad)).toBe(false);
    }
  });

  it('stores nothing when the source stream fails midway', async () => {
    const key = newArtifactKey('broken');
    let n = 0;
    const failing = new Readable({
      read() {
        n += 1;
        if (n > 30) this.destroy(new Error('client went away'));
        else this.push(Buffer.alloc(256 * 1024, n));
      },
    });
    await expect(b.store.put(key, failing)).rejects.toThrow('client went away');
    expect(await b.store.stat(key)).toBeNull();
  });
});

describe('DiskArtifactStore specifics', () => {
  it('leaves no temp file behind after a failed write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigint-disk-store-'));
    try {
      const store = await createArtifactStore({ backend: 'disk', storageDir: dir });
      const failing = new Readable({
        read() {
          this.destroy(new Error('boom'));
        },
      });
      await expect(store.put(newArtifactKey(), failing)).rejects.toThrow('boom');
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
