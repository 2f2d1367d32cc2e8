import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@vigint/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newArtifactKey } from './artifact-store';
import { DiskArtifactStore } from './disk-artifact.store';

// Disk full, for real: the kernel's /dev/full answers every write with ENOSPC. Only the store's temp
// writes are redirected there; everything else is the real file system.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    createWriteStream: (path: string, options?: object) =>
      String(path).includes('diskfull') ? fs.createWriteStream('/dev/full', options) : fs.createWriteStream(path, options),
  };
});

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('DiskArtifactStore when the disk is full', () => {
  it.skipIf(!existsSync('/dev/full'))('throws AppError STORAGE_FULL and publishes nothing under the key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-disk-'));
    const store = new DiskArtifactStore(dir);
    const key = newArtifactKey('diskfull');
    const err = await store.put(key, Buffer.alloc(200_000, 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.StorageFull });
    expect(await store.stat(key)).toBeNull();
    await expect(store.get(key)).rejects.toMatchObject({ code: ErrorCode.NotFound });
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('keeps artifacts inside its directory whatever the key looks like', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-disk-'));
    const store = new DiskArtifactStore(join(dir, 'store'));
    await expect(store.put('../outside-the-store', Buffer.from('x'))).rejects.toMatchObject({
      code: ErrorCode.InvalidFilename,
    });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('DiskArtifactStore.cleanupTemp', () => {
  it('removes temp files left by a killed writer, and only old ones', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-disk-'));
    const store = new DiskArtifactStore(dir);
    await mkdir(join(dir, 'tmp'));
    await writeFile(join(dir, 'tmp', 'old.part'), 'x');
    await writeFile(join(dir, 'tmp', 'live.part'), 'x');
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(join(dir, 'tmp', 'old.part'), twoHoursAgo, twoHoursAgo);
    expect(await store.cleanupTemp(3_600_000)).toBe(1);
    expect(await readdir(join(dir, 'tmp'))).toEqual(['live.part']);
  });
});
