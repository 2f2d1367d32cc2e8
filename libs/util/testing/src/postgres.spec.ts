import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './postgres';

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe('createTestDatabase', () => {
  it('creates a fresh database with every migration applied, and drop() removes it', async () => {
    const db = await createTestDatabase('harness');
    try {
      const tables = await query<{ table_name: string }>(
        db.url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['clients', 'api_keys', '_prisma_migrations']),
      );
      const applied = await query<{ migration_name: string; applied_steps_count: number }>(
        db.url,
        'SELECT migration_name, applied_steps_count FROM _prisma_migrations WHERE finished_at IS NOT NULL',
      );
      expect(applied.length).toBeGreaterThan(0);
      expect(applied.every((m) => m.applied_steps_count === 1)).toBe(true);
    } finally {
      await db.drop();
    }
    const left = await query(
      process.env.TEST_DATABASE_ADMIN_URL || 'postgresql://root@127.0.0.1:5432/postgres',
      'SELECT 1 FROM pg_database WHERE datname = $1',
      [db.name],
    );
    expect(left).toHaveLength(0);
  });

  it('gives two callers two different databases', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      await query(a.url, "INSERT INTO clients (name, email) VALUES ('a', 'a@example.com')");
      expect(await query(b.url, 'SELECT * FROM clients')).toHaveLength(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});
