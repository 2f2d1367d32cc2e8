import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, ErrorCode } from '@vigint/contracts';

export type StorageBackend = 'disk' | 'postgres' | 's3';

export interface PutResult {
  bytes: number;
  /** SHA-256 hex of what was stored. */
  sha256: string;
}

export interface ArtifactStat {
  bytes: number;
}

/** Inclusive byte range, as HTTP `Range: bytes=start-end` means it. */
export interface ByteRange {
  start?: number;
  end?: number;
}

/**
 * Where produced videos, clips and thumbnails live. Keys are ids the service generates (newArtifactKey),
 * never caller file names; every backend refuses anything outside ARTIFACT_KEY_PATTERN.
 */
export interface ArtifactStore {
  readonly backend: StorageBackend;
  /** Stores the bytes under key (replacing any previous ones); streams, never holds a whole Readable in memory. */
  put(key: string, data: Buffer | Readable): Promise<PutResult>;
  /** A stream of the stored bytes (optionally a range). Missing key → AppError NOT_FOUND. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the stored bytes; null when missing. */
  stat(key: string): Promise<ArtifactStat | null>;
  /** Removes the bytes; false when they were not there. */
  delete(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Generated ids only: letters, digits, `_` and `-`, 8 to 128 characters — no `/`, no `.`, no traversal. */
export const ARTIFACT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{7,127}$/;

export function isArtifactKey(key: unknown): key is string {
  return typeof key === 'string' && ARTIFACT_KEY_PATTERN.test(key);
}

/** A fresh key: `<prefix>-<base36 time>-<32 hex random>`, e.g. `video-mi1x2b3c-9f…`. */
export function newArtifactKey(prefix = 'a'): string {
  const safe = prefix.replace(/[^A-Za-z0-9]/g, '').slice(0, 16) || 'a';
  return `${safe}-${Date.now().toString(36)}-${randomBytes(16).toString('hex')}`;
}

/** Throws AppError INVALID_FILENAME for a key outside the pattern (a bug or an attack, never stored). */
export function assertArtifactKey(key: string): void {
  if (!isArtifactKey(key)) {
    throw new AppError(ErrorCode.InvalidFilename, 'invalid artifact key', { field: 'key' });
  }
}

export function artifactNotFound(): AppError {
  return new AppError(ErrorCode.NotFound, 'artifact not found');
}

/** Validates a range against a size; returns inclusive [start, end], or undefined for the whole object. */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } | undefined {
  if (!range || (range.start === undefined && range.end === undefined)) return undefined;
  const start = range.start ?? 0;
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || start >= size) {
    throw new AppError(ErrorCode.BadRequest, 'range not satisfiable', { field: 'range', details: { size } });
  }
  return { start, end };
}
