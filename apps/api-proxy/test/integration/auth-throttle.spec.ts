import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { ADMIN, startGateway, type Harness } from './gateway.harness';

/*
 * Failed authentication is throttled per IP (plugins/external/auth-throttle.ts): past AUTH_FAIL_MAX refused
 * keys in the window, the address gets 429 with Retry-After on every authenticated route — a valid key
 * from the same address included (the chosen default: a guesser that finds a key cannot use it at once) —
 * until the window ends. Counted in Redis, so it holds across gateway instances. The address is the one
 * TRUST_PROXY makes Fastify believe; with `true` a caller can forge it (X-Forwarded-For), so the default is
 * `false` and deployments behind a proxy set TRUST_PROXY to its address (last describe).
 */

const MAX = 5;
let g1: Harness;
let g2: Harness;
let key: string;

const randomKey = () => randomBytes(32).toString('base64url');
const get = (g: Harness, url: string, ip: string, headers: Record<string, string> = {}) =>
  g.app.inject({ method: 'GET', url, remoteAddress: ip, headers });

beforeAll(async () => {
  g1 = await startGateway({ AUTH_FAIL_MAX: String(MAX), AUTH_FAIL_WINDOW_MS: '60000' });
  // A second instance on the same Redis prefix and database: another gateway behind the load balancer.
  g2 = await startGateway(
    { AUTH_FAIL_MAX: String(MAX), AUTH_FAIL_WINDOW_MS: '60000' },
    { db: g1.db, prefix: g1.prefix, storageDir: g1.storageDir },
  );
  const r = await g1.app.inject({
    method: 'POST',
    url: '/admin/clients',
    remoteAddress: '10.9.9.9',
    headers: { 'x-admin-key': ADMIN, 'content-type': 'application/json' },
    payload: JSON.stringify({ name: 'site', email: 'site@example.com' }),
  });
  expect(r.statusCode, r.body).toBe(201);
  key = r.json().api_key;
}, 60_000);

afterAll(async () => {
  await g2?.close();
  await g1?.close();
});

describe('failed authentication per IP', () => {
  it('random keys from one address: 401 until the budget is spent, then 429 with Retry-After', async () => {
    const ip = '10.0.0.1';
    const codes: number[] = [];
    for (let i = 0; i < MAX; i++) {
      codes.push((await get(g1, '/api/usage', ip, { 'x-api-key': randomKey() })).statusCode);
    }
    expect(codes).toEqual(Array(MAX).fill(401));
    const over = await get(g1, '/api/storage/status', ip, { authorization: `Bearer ${randomKey()}` });
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited, error: expect.stringMatching(/failed auth/) });
    const retry = Number(over.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);

    // Blocked: a valid key from the same address, any key source, any authenticated route, the other instance.
    expect((await get(g1, '/api/usage', ip, { 'x-api-key': key })).statusCode).toBe(429);
    expect((await get(g1, `/api/usage?api_key=${encodeURIComponent(key)}`, ip)).statusCode).toBe(429);
    const other = await get(g2, '/api/usage', ip, { 'x-api-key': key });
    expect(other.statusCode).toBe(429);
    expect(Number(other.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get(g1, '/admin/clients', ip, { 'x-admin-key': ADMIN })).statusCode).toBe(429);
    // Unauthenticated routes still answer (load balancer health checks share addresses).
    expect((await get(g1, '/api/health', ip)).statusCode).toBe(200);

    // Other addresses are not affected.
    expect((await get(g1, '/api/usage', '10.0.0.2', { 'x-api-key': key })).statusCode).toBe(200);
    expect((await get(g2, '/api/usage', '10.0.0.2', { 'x-api-key': randomKey() })).statusCode).toBe(401);
  });

  it('guesses spread over two instances count together', async () => {
    const ip = '10.0.0.3';
    const codes: number[] = [];
    for (let i = 0; i < MAX + 1; i++) {
      const g = i % 2 === 0 ? g1 : g2;
      codes.push((await get(g, '/api/usage', ip, { 'x-api-key': randomKey() })).statusCode);
    }
    expect(codes).toEqual([...Array(MAX).fill(401), 429]);
  });

  it('wrong admin keys count too', async () => {
    const ip = '10.0.0.4';
    const codes: number[] = [];
    for (let i = 0; i < MAX + 1; i++) {
      codes.push((await get(g2, '/admin/clients', ip, { 'x-admin-key': `guess-${i}-${randomKey()}` })).statusCode);
    }
    expect(codes).toEqual([...Array(MAX).fill(401), 429]);
    expect((await get(g1, '/admin/clients', ip, { 'x-admin-key': ADMIN })).statusCode).toBe(429);
    expect((await get(g1, '/api/usage', ip, { 'x-api-key': key })).statusCode).toBe(429);
  });

  it('a valid key does not reset the count, and missing keys count as failures', async () => {
    const ip = '10.0.0.5';
    const codes: number[] = [];
    for (let i = 0; i < MAX; i++) {
      codes.push((await get(g1, '/api/usage', ip)).statusCode);
      codes.push((await get(g1, '/api/usage', ip, { 'x-api-key': key })).statusCode);
    }
    expect(codes).toEqual(Array.from({ length: 2 * MAX }, (_, i) => (i % 2 === 0 ? 401 : 200)));
    expect((await get(g1, '/api/usage', ip)).statusCode).toBe(429);
    expect((await get(g1, '/api/usage', ip, { 'x-api-key': key })).statusCode).toBe(429);
  });
});

describe('the block ends with the window', () => {
  let g: Harness;
  beforeAll(async () => {
    // A window long enough that the three refusals surely fall in it on a loaded machine, short enough to wait out.
    g = await startGateway({ AUTH_FAIL_MAX: '2', AUTH_FAIL_WINDOW_MS: '3000' });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
  });

  it('429 for the rest of the window, then the valid key works again', async () => {
    const ip = '10.0.1.1';
    const admin = { 'x-admin-key': ADMIN };
    const codes: number[] = [];
    for (let i = 0; i < 3; i++)
      codes.push((await get(g, '/admin/clients', ip, { 'x-admin-key': 'nope-nope' })).statusCode);
    expect(codes).toEqual([401, 401, 429]);
    const blocked = await get(g, '/admin/clients', ip, admin);
    expect(blocked.statusCode).toBe(429);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 300));
    expect((await get(g, '/admin/clients', ip, admin)).statusCode).toBe(200);
    // And a fresh budget: one wrong key is a 401 again.
    expect((await get(g, '/admin/clients', ip, { 'x-admin-key': 'nope-nope' })).statusCode).toBe(401);
  });
});

describe('TRUST_PROXY decides which address is counted', () => {
  let g: Harness;
  beforeAll(async () => {
    // The gateway behind one proxy at 127.0.0.1 that appends the real client to X-Forwarded-For.
    g = await startGateway({ AUTH_FAIL_MAX: '3', AUTH_FAIL_WINDOW_MS: '60000', TRUST_PROXY: '127.0.0.1' });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
  });

  const viaProxy = (forged: string, client: string, k: string) =>
    g.app.inject({
      method: 'GET',
      url: '/api/usage',
      remoteAddress: '127.0.0.1',
      headers: { 'x-api-key': k, 'x-forwarded-for': `${forged}, ${client}` },
    });

  it('a forged left-most X-Forwarded-For entry does not buy a fresh budget', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await viaProxy(`203.0.113.${i}`, '198.51.100.7', randomKey())).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
    // Another real client behind the same proxy is unaffected.
    const create = await g.app.inject({
      method: 'POST',
      url: '/admin/clients',
      remoteAddress: '127.0.0.1',
      headers: { 'x-admin-key': ADMIN, 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.8' },
      payload: JSON.stringify({ name: 'other', email: 'other@example.com' }),
    });
    const k = create.json().api_key as string;
    expect((await viaProxy('203.0.113.99', '198.51.100.8', k)).statusCode).toBe(200);
    expect((await viaProxy('198.51.100.8', '198.51.100.7', k)).statusCode).toBe(429);
  });

  it('a caller that is not the trusted proxy cannot choose its address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await g.app.inject({
        method: 'GET',
        url: '/api/usage',
        remoteAddress: '192.0.2.50',
        headers: { 'x-api-key': randomKey(), 'x-forwarded-for': `203.0.113.${100 + i}` },
      });
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});
