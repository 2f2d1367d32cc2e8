import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../../src/test-database';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, MigrationError } from '../../src/migration-runner';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL || 'postgresql://root@127.0.0.1:5432/postgres';

let dir: string;
let emptyDb: { url: string; name: string };

async function migration(name: string, sql: string) {
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  // An empty database (no migrations): the runner is tested here on its own small migration folders.
  const name = `vigint_runner_${Date.now().toString(36)}_${Math.random().toString(16).slice(2, 8)}`;
  await rows(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  emptyDb = { url: url.toString(), name };
});

afterAll(async () => {
  await rows(adminUrl, `DROP DATABASE IF EXISTS "${emptyDb.name}" WITH (FORCE)`);
});

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  it('applies pending files in order, records them, and refuses a modified or failed one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-mig-'));
    await migration('20260101000000_a', 'CREATE TABLE a (id int);');
    await migration('20260102000000_b', 'ALTER TABLE a ADD COLUMN b text;');
    expect(await applyMigrations(emptyDb.url, { migrationsDir: dir })).toEqual({
      applied: ['20260101000000_a', '20260102000000_b'],
      alreadyApplied: [],
    });

    // A new migration that fails halfway leaves nothing behind: the file runs in one transaction.
    await migration('20260103000000_c', 'CREATE TABLE c (id int); SELECT * FROM no_such_table;');
    const err = await applyMigrations(emptyDb.url, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toContain('20260103000000_c');
    expect(await rows(emptyDb.url, "SELECT 1 FROM information_schema.tables WHERE table_name = 'c'")).toHaveLength(0);
    const recorded = await rows<{ migration_name: string }>(
      emptyDb.url,
      'SELECT migration_name FROM _prisma_migrations',
    );
    expect(recorded.map((r) => r.migration_name).sort()).toEqual(['20260101000000_a', '20260102000000_b']);

    // Fixed, it goes through; editing an applied file is refused.
    await migration('20260103000000_c', 'CREATE TABLE c (id int);');
    expect((await applyMigrations(emptyDb.url, { migrationsDir: dir })).applied).toEqual(['20260103000000_c']);
    await migration('20260101000000_a', 'CREATE TABLE a (id bigint);');
    await expect(applyMigrations(emptyDb.url, { migrationsDir: dir })).rejects.toThrow(/modified after it was applied/);
  });

  it('serialises concurrent runs: each migration applied once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-mig-'));
    await migration('20260201000000_x', 'CREATE TABLE x_once (id int);');
    await rows(emptyDb.url, 'DROP TABLE IF EXISTS _prisma_migrations');
    const results = await Promise.all([1, 2, 3].map(() => applyMigrations(emptyDb.url, { migrationsDir: dir })));
    expect(results.flatMap((r) => r.applied)).toEqual(['20260201000000_x']);
  });

  it('reports an unreachable database as a MigrationError', async () => {
    await expect(applyMigrations('postgresql://root@127.0.0.1:1/none')).rejects.toThrow(/cannot connect/);
  });
});

describe('npm run db:migrate', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('dbmigrate');
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  function run(env: Record<string, string | undefined>) {
    const cleanEnv: NodeJS.ProcessEnv = { ...process.env, ...env, VIGINT_MIGRATE_WITH: 'sql' };
    if (env.DATABASE_URL === undefined) delete cleanEnv.DATABASE_URL;
    return spawnSync('npx', ['--no-install', 'tsx', 'scripts/db-migrate.ts'], {
      cwd: repoRoot,
      env: cleanEnv,
      encoding: 'utf8',
    });
  }

  it('says what is wrong, without a stack trace, when DATABASE_URL is unset or unreachable', () => {
    const unset = run({ DATABASE_URL: undefined });
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain('DATABASE_URL is not set');
    const down = run({ DATABASE_URL: 'postgresql://root:s3cret@127.0.0.1:1/none' });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('cannot connect to the database');
    expect(down.stderr + down.stdout).not.toMatch(/\n\s+at /);
    expect(down.stderr + down.stdout).not.toContain('s3cret');
  });

  it('finds nothing pending on a harness database (same runner, same records)', () => {
    const r = run({ DATABASE_URL: tdb.url });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/0 applied, [1-9][0-9]* already applied/);
  });
});
