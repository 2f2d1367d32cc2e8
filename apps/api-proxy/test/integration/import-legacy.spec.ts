import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { importLegacyDatabase } from '../../src/cli/legacy-import.service';
import { startGateway, type Harness } from './gateway.harness';

const ADMIN = process.env.TEST_DATABASE_ADMIN_URL || 'postgresql://root@127.0.0.1:5432/postgres';
const legacyName = `vigint_legacy_${Date.now().toString(36)}`;
const legacyKey = 'Lq3v2a9sXkP0e7RtYbN4mW1cJ8hG6fD5sA2zQ0wE9rT';
let legacyUrl: string;
let h: Harness;

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE "${legacyName}"`));
  const u = new URL(ADMIN);
  u.pathname = `/${legacyName}`;
  legacyUrl = u.toString();
  const c = new pg.Client({ connectionString: legacyUrl });
  await c.connect();
  // The earlier system's tables (Flask/SQLAlchemy), with its column names.
  await c.query(`
    CREATE TABLE clients (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT, created_at TIMESTAMP DEFAULT now());
    CREATE TABLE api_keys (id SERIAL PRIMARY KEY, client_id INT REFERENCES clients(id), key_hash VARCHAR(64) UNIQUE, name TEXT,
                           is_active BOOLEAN DEFAULT true, created_at TIMESTAMP DEFAULT now(), last_used TIMESTAMP);
    CREATE TABLE api_usage (id SERIAL PRIMARY KEY, api_key_id INT REFERENCES api_keys(id), endpoint TEXT, method TEXT,
                            status_code INT, cost FLOAT, timestamp TIMESTAMP DEFAULT now());
    INSERT INTO clients (name, email) VALUES ('Boulangerie', 'boulangerie@example.fr'), ('Garage', NULL);
    INSERT INTO api_keys (client_id, key_hash, name, is_active) VALUES
      (1, '${createHash('sha256').update(legacyKey).digest('hex')}', 'site', true),
      (2, '${'ab'.repeat(32)}', 'old', false);
    INSERT INTO api_usage (api_key_id, endpoint, method, status_code, cost) VALUES
      (1, '/api/video/analyze', 'POST', 200, 0.002), (1, '/api/video/alert', 'POST', 200, 0),
      (1, '/api/storage/status', NULL, 200, 0);
  `);
  await c.end();
  h = await startGateway();
}, 60_000);

afterAll(async () => {
  await h?.close();
  await admin(async (c) => {
    await c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [legacyName],
    );
    await c.query(`DROP DATABASE IF EXISTS "${legacyName}"`);
  });
});

describe('import-legacy', () => {
  it('imports clients, keys and usage; the earlier key then works; a second run changes nothing', async () => {
    const r = await importLegacyDatabase(legacyUrl, h.db.url);
    expect(r).toEqual({ clients: { imported: 2, existing: 0 }, apiKeys: { imported: 2, existing: 0 }, usageRows: 3 });

    const u = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': legacyKey } });
    expect(u.statusCode).toBe(200);
    expect(u.json()).toMatchObject({ client_name: 'Boulangerie' });
    expect(u.json().usage.map((x: { endpoint: string }) => x.endpoint)).toEqual(
      expect.arrayContaining(['/api/video/analyze', '/api/video/alert']),
    );
    // A row without a method is typed from its route (the earlier GET routes), not as POST.
    const status = u.json().usage.find((x: { endpoint: string }) => x.endpoint === '/api/storage/status');
    expect(status.method).toBe('GET');
    // The per-day totals are filled in, not left at 0.
    expect(u.json().totals).toMatchObject({ requests: 3, ai_requests: 1, alerts: 1 });

    const again = await importLegacyDatabase(legacyUrl, h.db.url);
    expect(again).toEqual({
      clients: { imported: 0, existing: 2 },
      apiKeys: { imported: 0, existing: 2 },
      usageRows: 0,
    });
  });
});
