import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg } from './media.fixtures';

/*
 * Issue 14 item 3 (part): per-tenant quotas in Redis, shared by every gateway instance — jobs per minute
 * per job type (JOBS_PER_MINUTE) and multi-source buffers (MAX_SOURCES). No worker: jobs are accepted
 * asynchronously (202) and stay queued.
 */

let h: Harness;
const keys: string[] = [];
const post = (g: Harness, key: string, url: string, payload: unknown) =>
  g.app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': key, 'content-type': 'application/json', prefer: 'respond-async' },
    payload: JSON.stringify(payload),
  });

beforeAll(async () => {
  h = await startGateway({ JOBS_PER_MINUTE: '2', MAX_SOURCES: '2', RATE_LIMIT_MAX: '100000' });
  for (const name of ['flood', 'calm']) {
    const r = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { 'x-admin-key': ADMIN },
      payload: { name, email: `${name}@example.com` },
    });
    keys.push(r.json().api_key);
  }
}, 60_000);
afterAll(async () => h?.close());

describe('per-tenant quotas', () => {
  it('jobs per minute per job type: 429 with Retry-After past it, other types and other clients unaffected, shared across instances', async () => {
    const [flood, calm] = keys as [string, string];
    const frame = b64(await jpeg());
    const create = (g: Harness, key: string) => post(g, key, '/api/video/create', { frames: [frame] });
    expect((await create(h, flood)).statusCode).toBe(202);
    expect((await create(h, flood)).statusCode).toBe(202);
    const over = await create(h, flood);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited });
    expect(over.json().error).toContain('VideoCreate');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another job type of the same client, and the same type for another client, still go through.
    expect((await post(h, flood, '/api/storage/cleanup', { type: 'old' })).statusCode).toBe(202);
    expect((await create(h, calm)).statusCode).toBe(202);
    // A second gateway on the same Redis sees the same count.
    const second = await startGateway(
      { JOBS_PER_MINUTE: '2' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      expect((await create(second, flood)).statusCode).toBe(429);
    } finally {
      await second.close();
    }
  });

  it('multi-source buffers: at most MAX_SOURCES source_ids per client (429 naming source_id), known ones still fed', async () => {
    const [, calm] = keys as [string, string];
    const frame = b64(await jpeg());
    const feed = (source_id: string) =>
      post(h, calm, '/api/video/multi-source/buffer', { frame_data: frame, source_id });
    expect((await feed('cam-1')).statusCode).toBe(200);
    expect((await feed('cam-2')).statusCode).toBe(200);
    const third = await feed('cam-3');
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: ErrorCode.RateLimited, field: 'source_id' });
    expect((await feed('cam-1')).statusCode).toBe(200);
  });
});
