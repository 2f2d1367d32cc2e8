import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** prisma/migrations of this repository (this file is libs/adapters/db/src/migration-runner.ts). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../../prisma/migrations', import.meta.url));

/** The advisory lock `prisma migrate deploy` takes, so our runner and Prisma's never interleave. */
const PRISMA_MIGRATE_LOCK_ID = 72707369;

export interface MigrationFile {
  /** Folder name, e.g. `20261126000000_init` (Prisma's `migration_name`). */
  name: string;
  sql: string;
  /** SHA-256 hex of the file's bytes: what Prisma stores in `_prisma_migrations.checksum`. */
  checksum: string;
}

export interface MigrationRunResult {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrationLogger {
  info(obj: object, msg: string): void;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Every `<dir>/<name>/migration.sql`, in name order (timestamps sort). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: MigrationFile[] = [];
  for (const name of names) {
    const bytes = await readFile(join(dir, name, 'migration.sql')).catch(() => null);
    if (!bytes) continue;
    out.push({ name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

// Prisma's own definition of its bookkeeping table (schema-engine, postgres flavour).
const CREATE_PRISMA_MIGRATIONS = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the pending migrations the way `prisma migrate deploy` would, for machines without the schema
 * engine: each file in its own transaction, recorded in `_prisma_migrations` with Prisma's columns
 * (checksum = SHA-256 of the file, applied_steps_count = 1), so a later `prisma migrate deploy` sees
 * them as applied. A changed file or a failed earlier run stops it with a MigrationError.
 */
export async function applyMigrations(
  databaseUrl: string,
  options: { migrationsDir?: string; log?: MigrationLogger } = {},
): Promise<MigrationRunResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new MigrationError(`cannot connect to the database: ${(err as Error).message}`, { cause: err });
  }
  // A connection-level error after connect (server gone) must not crash the process as an unhandled event.
  client.on('error', () => undefined);
  const result: MigrationRunResult = { applied: [], alreadyApplied: [] };
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_ID]);
    await client.query(CREATE_PRISMA_MIGRATIONS);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier and was not rolled back; resolve it (prisma migrate resolve) first`,
      );
    }
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
    for (const m of migrations) {
      const checksum = done.get(m.name);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(`migration ${m.name} was modified after it was applied (checksum differs)`);
        }
        result.alreadyApplied.push(m.name);
        continue;
      }
      const id = randomUUID();
      try {
        await client.query('BEGIN');
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
          [id, m.checksum, m.name],
        );
        await client.query(m.sql);
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      options.log?.info({ migration: m.name }, 'migration applied');
      result.applied.push(m.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_ID]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
