import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, startGateway, type Harness } from './gateway.harness';

let h: Harness | undefined;
afterAll(async () => {
  await h?.close();
});

describe('usage recording and shutdown', () => {
  it('usage rows written after the replies are not lost when the gateway closes right away', async () => {
    h = await startGateway();
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      payload: { name: 'shop', email: 'shop@example.com' },
      headers: { 'x-admin-key': ADMIN },
    });
    const key = created.json().api_key as string;
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        h!.app.inject({ method: 'GET', url: '/api/storage/status', headers: { 'x-api-key': key } }),
      ),
    );
    expect(replies.every((r) => r.statusCode === 200)).toBe(true);
    // Close at once: the usage writes started in onResponse must finish before the pool closes.
    await h.app.close();
    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        "select count(*) as n from api_usage where endpoint = '/api/storage/status'",
      );
      expect(Number(rows[0]!.n)).toBe(30);
    } finally {
      await client.end();
    }
  });
});
