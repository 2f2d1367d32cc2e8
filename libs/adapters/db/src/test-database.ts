import { randomBytes } from 'node:crypto';
import { applyMigrations } from './migration-runner';
import pg from 'pg';

// Test harness for PostgreSQL. It lives here, beside the migration runner, so this project's own tests
// can use it without a db ↔ testing dependency cycle; @vigint/testing re-exports it for everyone else.

export interface TestDatabase {
  /** Connection URL of the fresh database (all migrations applied). */
  url: string;
  name: string;
  /** Terminates its connections and drops it; safe to call twice. */
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgresql://root@127.0.0.1:5432/postgres';

function adminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL || DEFAULT_ADMIN_URL;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A uniquely named database on TEST_DATABASE_ADMIN_URL with every prisma/migrations/*\/migration.sql
 * applied by the same runner as `npm run db:migrate`. Each test file gets its own, so tests never share rows.
 */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '_')
    .slice(0, 20);
  const name = `vigint_${safeLabel}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  const db: TestDatabase = {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      });
    },
  };
  try {
    await applyMigrations(db.url);
  } catch (err) {
    await db.drop().catch(() => undefined);
    throw err;
  }
  return db;
}
