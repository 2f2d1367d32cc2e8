import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppError, ErrorCode } from '@vigint/contracts';
import pg from 'pg';
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
import { fixedChunks, toReadable } from './hashing-stream';

/** 1 MiB rows: small enough to stream, large enough that a 20 MB video is 20 rows. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

export interface PostgresArtifactStoreOptions {
  chunkSize?: number;
  /** Pool size (default 4: artifact traffic should not starve the app's own pool). */
  max?: number;
}

function unavailable(err: unknown): AppError | undefined {
  const code = (err as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03'].includes(code) || code.startsWith('08')) {
    return new AppError(ErrorCode.DependencyUnavailable, 'artifact database unavailable', { cause: err });
  }
  if (code === '53100') return new AppError(ErrorCode.StorageFull, 'artifact storage is full', { cause: err });
  return undefined;
}

/**
 * Bytes in the `artifact_chunks` table (STORAGE_BACKEND=postgres): fixed-size bytea rows keyed by
 * (storage_key, seq), written in one transaction (a failed put leaves the previous bytes, or none), read
 * back one row at a time. Talks to PostgreSQL through `pg` directly so it needs no Prisma client.
 */
export class PostgresArtifactStore implements ArtifactStore {
  readonly backend = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly chunkSize: number;

  constructor(databaseUrl: string, options: PostgresArtifactStoreOptions = {}) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 4 });
    // An idle client losing its server must not crash the process; the next query reports it.
    this.pool.on('error', () => undefined);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async put(key: string, data: Buffer | Readable): Promise<PutResult> {
    assertArtifactKey(key);
    const hash = createHash('sha256');
    let bytes = 0;
    const client = await this.pool.connect().catch((err: unknown) => {
      throw unavailable(err) ?? err;
    });
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM artifact_chunks WHERE storage_key = $1', [key]);
      let seq = 0;
      for await (const chunk of fixedChunks(toReadable(data), this.chunkSize)) {
        hash.update(chunk);
        bytes += chunk.length;
        await client.query('INSERT INTO artifact_chunks (storage_key, seq, data) VALUES ($1, $2, $3)', [key, seq, chunk]);
        seq += 1;
      }
      // An empty artifact still gets one row, so "empty" and "missing" stay different.
      if (seq === 0) {
        await client.query('INSERT INTO artifact_chunks (storage_key, seq, data) VALUES ($1, 0, $2)', [key, Buffer.alloc(0)]);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(err) ?? err;
    } finally {
      client.release();
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (!isArtifactKey(key)) throw artifactNotFound();
    const info = await this.chunkInfo(key);
    if (!info) throw artifactNotFound();
    const r = resolveRange(range, info.bytes);
    const start = r?.start ?? 0;
    const end = r?.end ?? info.bytes - 1; // inclusive; -1 for an empty artifact
    const size = this.chunkSize;
    const pool = this.pool;
    let seq = Math.floor(start / size);
    const lastSeq = end < 0 ? -1 : Math.floor(end / size);
    // Pull-based: the next row is fetched only when the consumer asks, so memory stays at one chunk.
    return new Readable({
      async read() {
        try {
          if (seq > lastSeq) {
            this.push(null);
            return;
          }
          const { rows } = await pool.query<{ data: Buffer }>(
            'SELECT data FROM artifact_chunks WHERE storage_key = $1 AND seq = $2',
            [key, seq],
          );
          const row = rows[0];
          if (!row) throw artifactNotFound(); // deleted while being read
          const chunkStart = seq * size;
          const from = Math.max(0, start - chunkStart);
          const to = Math.min(row.data.length, end - chunkStart + 1);
          seq += 1;
          this.push(row.data.subarray(from, to));
        } catch (err) {
          this.destroy(unavailable(err) ?? (err as Error));
        }
      },
    });
  }

  private async chunkInfo(key: string): Promise<ArtifactStat | null> {
    try {
      const { rows } = await this.pool.query<{ n: string; bytes: string | null }>(
        'SELECT count(*) AS n, sum(octet_length(data)) AS bytes FROM artifact_chunks WHERE storage_key = $1',
        [key],
      );
      const row = rows[0];
      if (!row || Number(row.n) === 0) return null;
      return { bytes: Number(row.bytes ?? 0) };
    } catch (err) {
      throw unavailable(err) ?? err;
    }
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    if (!isArtifactKey(key)) return null;
    return this.chunkInfo(key);
  }

  async delete(key: string): Promise<boolean> {
    if (!isArtifactKey(key)) return false;
    try {
      const { rowCount } = await this.pool.query('DELETE FROM artifact_chunks WHERE storage_key = $1', [key]);
      return (rowCount ?? 0) > 0;
    } catch (err) {
      throw unavailable(err) ?? err;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
