import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, ErrorCode } from '@vigint/contracts';
import {
  artifactNotFound,
  assertArtifactKey,
  isArtifactKey,
  resolveRange,
  type ArtifactStat,
  type ArtifactStore,
  type ByteRange,
  type PutResult,
} from './artifact-store';
import { HashingStream, toReadable } from './hashing-stream';

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === code;
}

/**
 * Files under STORAGE_DIR: `<dir>/artifacts/<key[0..2]>/<key>`. Writes go to `<dir>/tmp/` first and are
 * renamed into place (same file system, atomic), so a failed write — disk full, a dropped upload — never
 * leaves a partial artifact under its key.
 */
export class DiskArtifactStore implements ArtifactStore {
  readonly backend = 'disk' as const;

  constructor(private readonly dir: string) {}

  private pathFor(key: string): string {
    return join(this.dir, 'artifacts', key.slice(0, 2), key);
  }

  async put(key: string, data: Buffer | Readable): Promise<PutResult> {
    assertArtifactKey(key);
    const final = this.pathFor(key);
    const tmpDir = join(this.dir, 'tmp');
    const tmp = join(tmpDir, `${key}.${randomBytes(6).toString('hex')}.part`);
    const hashing = new HashingStream();
    try {
      await mkdir(tmpDir, { recursive: true });
      await mkdir(join(this.dir, 'artifacts', key.slice(0, 2)), { recursive: true });
      // flush: fsync before close, so the rename never publishes bytes still only in the page cache.
      await pipeline(toReadable(data), hashing, createWriteStream(tmp, { flush: true }));
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (isErrno(err, 'ENOSPC') || isErrno(err, 'EDQUOT')) {
        throw new AppError(ErrorCode.StorageFull, 'artifact storage is full', { cause: err });
      }
      throw err;
    }
    return { bytes: hashing.bytes, sha256: hashing.digest() };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (!isArtifactKey(key)) throw artifactNotFound();
    const file = this.pathFor(key);
    const info = await stat(file).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    });
    if (!info) throw artifactNotFound();
    const r = resolveRange(range, info.size);
    return createReadStream(file, r ? { start: r.start, end: r.end } : {});
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    if (!isArtifactKey(key)) return null;
    try {
      const info = await stat(this.pathFor(key));
      return { bytes: info.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<boolean> {
    if (!isArtifactKey(key)) return false;
    try {
      await unlink(this.pathFor(key));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /**
   * Removes temp files older than maxAgeMs: what a process killed mid-write leaves behind (a live write
   * is younger). Returns how many were removed; the retention job calls it.
   */
  async cleanupTemp(maxAgeMs = 3_600_000, now: Date = new Date()): Promise<number> {
    const tmpDir = join(this.dir, 'tmp');
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = join(tmpDir, name);
      const info = await stat(file).catch(() => null);
      if (info && now.getTime() - info.mtimeMs > maxAgeMs) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}
