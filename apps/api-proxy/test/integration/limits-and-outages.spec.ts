import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { cleanupRedisPrefix, createTestDatabase, testRedisPrefix, type TestDatabase } from '@vigint/testing';
import { SECRET, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg } from './media.fixtures';
import { startTcpProxy } from './tcp-proxy';

const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });

describe('rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startGateway({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
  }, 60_000);
  afterAll(async () => h?.close());

  it('answers 429 with Retry-After per key, and other keys keep their own budget', async () => {
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': SECRET } });
      codes.push(last.statusCode);
    }
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(codes[4]).toBe(429);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.json()).toMatchObject({ code: ErrorCode.RateLimited, error: expect.any(String) });
    // Another key (here: none → per IP) is counted separately; health is never limited.
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': 'other-key' } })).statusCode,
    ).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('the limit lives in Redis: a second gateway instance sees the same count', async () => {
    const second = await startGateway(
      { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const r = await second.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': SECRET } });
      expect(r.statusCode).toBe(429);
    } finally {
      await second.close();
    }
  });
});

describe('dependency outages', () => {
  let db: TestDatabase;
  const prefix = testRedisPrefix('gw-outage');
  let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let pgProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let h: Harness;

  beforeAll(async () => {
    db = await createTestDatabase('gw_outage');
    redisProxy = await startTcpProxy(6379);
    pgProxy = await startTcpProxy(5432);
    const url = new URL(db.url);
    url.host = `127.0.0.1:${pgProxy.port}`;
    h = await startGateway(
      { REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, DATABASE_URL: url.toString() },
      { db: { ...db, url: url.toString() }, prefix, storageDir: '/tmp' },
    );
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await redisProxy?.close();
    await pgProxy?.close();
    await cleanupRedisPrefix(prefix);
    await db?.drop();
  });

  async function waitFor(fn: () => Promise<boolean>, ms = 15_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await fn()) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  it('Redis down → 503 DEPENDENCY_UNAVAILABLE (not a hang, not a 500), and recovery by itself', async () => {
    const frame = b64(await jpeg());
    const ok = await h.app.inject({
      method: 'POST',
      url: '/api/video/buffer',
      headers: json(SECRET),
      payload: JSON.stringify({ frame_data: frame }),
    });
    expect(ok.statusCode).toBe(200);
    await redisProxy.down();
    const t0 = Date.now();
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/video/buffer',
      headers: json(SECRET),
      payload: JSON.stringify({ frame_data: frame }),
    });
    expect(r.statusCode).toBe(503);
    expect(r.json().code).toBe(ErrorCode.DependencyUnavailable);
    const c = await h.app.inject({
      method: 'POST',
      url: '/api/video/create',
      headers: json(SECRET),
      payload: JSON.stringify({ frames: [frame] }),
    });
    expect(c.statusCode).toBe(503);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const ready = await h.app.inject({ method: 'GET', url: '/api/ready' });
    expect(ready.statusCode).toBe(503);
    await redisProxy.up();
    const back = await waitFor(async () => {
      const x = await h.app.inject({
        method: 'POST',
        url: '/api/video/buffer',
        headers: json(SECRET),
        payload: JSON.stringify({ frame_data: frame }),
      });
      return x.statusCode === 200;
    });
    expect(back).toBe(true);
  }, 60_000);

  it('PostgreSQL down → 503, and recovery by itself', async () => {
    await pgProxy.down();
    const r = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': SECRET } });
    expect(r.statusCode).toBe(503);
    expect(r.json().code).toBe(ErrorCode.DependencyUnavailable);
    await pgProxy.up();
    const back = await waitFor(
      async () =>
        (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': SECRET } })).statusCode === 200,
    );
    expect(back).toBe(true);
  }, 60_000);
});
