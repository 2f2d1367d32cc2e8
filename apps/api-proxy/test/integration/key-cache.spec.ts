import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startGateway, type Harness } from './gateway.harness';

// Two gateway instances on one database: a key revoked through one must die on the other within the key
// cache's TTL, even while it keeps being used there (each accepted request used to restart the TTL).
const TTL_MS = 500;
let a: Harness;
let b: Harness;

beforeAll(async () => {
  a = await startGateway({ API_KEY_CACHE_TTL_MS: String(TTL_MS) });
  b = await startGateway({ API_KEY_CACHE_TTL_MS: String(TTL_MS) }, a);
}, 120_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('API key cache across instances', () => {
  it('a key revoked on one gateway is refused by another within the TTL, however busy it is there', async () => {
    const created = await a.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN },
      payload: JSON.stringify({ name: 'cache', email: 'cache@example.com' }),
    });
    const { client_id: id, api_key: key, api_key_id: keyId } = created.json();
    const onB = async () =>
      (await b.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': key } })).statusCode;
    expect(await onB()).toBe(200); // now in B's cache

    const revoked = await a.app.inject({
      method: 'POST',
      url: `/admin/clients/${id}/keys/${keyId}/revoke`,
      headers: { 'x-admin-key': ADMIN },
    });
    expect(revoked.statusCode).toBe(200);
    // Keep using the key on B, faster than the TTL. Before the fix this answered 200 for as long as it was used.
    const statuses: number[] = [];
    const until = Date.now() + 20 * TTL_MS;
    while (Date.now() < until && statuses.at(-1) !== 401) {
      statuses.push(await onB());
      await new Promise((r) => setTimeout(r, TTL_MS / 10));
    }
    expect(statuses.at(-1)).toBe(401);
    expect(await onB()).toBe(401);
  });
});
