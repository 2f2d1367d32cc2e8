import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVideoLink } from '@vigint/alerting';
import { ErrorCode } from '@vigint/contracts';
import { loadGatewayConfig, secretProblems } from '../../src/config';
import { ADMIN, SECRET, startGateway, type Harness } from './gateway.harness';
import { mp4 } from './media.fixtures';

/*
 * Issue 14 item 2: secrets apart. ADMIN_KEY (>= 32 bytes) is the only admin key and never a client key;
 * SECRET_KEY is the earlier installs' client key of its own built-in client; links are signed with
 * VIDEO_LINK_SECRET; every secret is checked at start; keys are revoked and rotated one at a time, and a
 * key revoked on its own never comes back.
 */

const LINK_SECRET = 'test-video-link-secret-0123456789abcdef';
let h: Harness;

const admin = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  h.app.inject({
    method,
    url,
    headers: { 'x-admin-key': ADMIN, ...(payload ? { 'content-type': 'application/json' } : {}) },
    ...(payload ? { payload: JSON.stringify(payload) } : {}),
  });
const usage = (key: string) => h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': key } });

beforeAll(async () => {
  h = await startGateway({ VIDEO_LINK_SECRET: LINK_SECRET, API_KEY_CACHE_TTL_MS: '0' });
}, 60_000);
afterAll(async () => h?.close());

describe('secrets checked at start', () => {
  const base = { SECRET_KEY: SECRET, ADMIN_KEY: ADMIN, VIDEO_LINK_SECRET: LINK_SECRET };

  it('names the variable, says why, never quotes the value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...base, ADMIN_KEY: 'short-admin-key' }, /ADMIN_KEY: must be at least 32 bytes \(it has 15\)/],
      [{ ...base, SECRET_KEY: 'eight-ch' }, /SECRET_KEY: must be at least 16 bytes/],
      [{ ...base, VIDEO_LINK_SECRET: 'too-short-link' }, /VIDEO_LINK_SECRET: must be at least 32 bytes/],
      [{ ...base, SECRET_KEY: ADMIN }, /ADMIN_KEY: must differ from SECRET_KEY/],
      [{ ...base, VIDEO_LINK_SECRET: ADMIN }, /VIDEO_LINK_SECRET: must differ from ADMIN_KEY/],
      [{ ...base, NODE_ENV: 'production', VIDEO_LINK_SECRET: '' }, /VIDEO_LINK_SECRET: required in production/],
      [{ ADMIN_KEY: ADMIN }, /VIDEO_LINK_SECRET: not set \(nor SECRET_KEY\)/],
    ];
    for (const [env, message] of cases) {
      let err: Error | undefined;
      try {
        loadGatewayConfig(env);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, JSON.stringify(Object.keys(env))).toMatch(message);
      for (const [k, v] of Object.entries(env)) if (v && k !== 'NODE_ENV') expect(err!.message).not.toContain(v);
    }
    expect(secretProblems(loadGatewayConfig(base))).toEqual([]);
    // A new install needs neither SECRET_KEY nor (outside production) anything but the link secret.
    expect(() => loadGatewayConfig({ VIDEO_LINK_SECRET: LINK_SECRET })).not.toThrow();
  });
});

describe('admin key apart', () => {
  it('ADMIN_KEY opens /admin/*; SECRET_KEY and client keys do not', async () => {
    expect((await admin('GET', '/admin/clients')).statusCode).toBe(200);
    const withSecret = await h.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': SECRET } });
    expect(withSecret.statusCode).toBe(401);
  });

  it('ADMIN_KEY is refused as a client key, every way it can be sent', async () => {
    for (const headers of [{ 'x-api-key': ADMIN }, { authorization: `Bearer ${ADMIN}` }]) {
      const r = await h.app.inject({ method: 'GET', url: '/api/usage', headers });
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe(ErrorCode.Unauthorized);
    }
    const q = await h.app.inject({ method: 'GET', url: `/api/usage?api_key=${encodeURIComponent(ADMIN)}` });
    expect(q.statusCode).toBe(401);
  });

  it('without ADMIN_KEY the admin routes are off (403 naming ADMIN_KEY), whatever key is sent', async () => {
    const g = await startGateway({ ADMIN_KEY: '' }, { db: h.db, prefix: h.prefix, storageDir: h.storageDir });
    try {
      for (const key of [SECRET, ADMIN]) {
        const r = await g.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': key } });
        expect(r.statusCode).toBe(403);
        expect(r.json().error).toContain('ADMIN_KEY');
      }
    } finally {
      await g.close();
    }
  });
});

describe('SECRET_KEY, the earlier installs’ client key', () => {
  it('is bound to its own built-in client, never to the client that has EMAIL_TO as its address', async () => {
    const owner = await admin('POST', '/admin/clients', { name: 'owner', email: h.config.EMAIL_TO });
    expect(owner.statusCode).toBe(201);
    const d = await usage(SECRET);
    expect(d.statusCode).toBe(200);
    expect(d.json().client_id).not.toBe(owner.json().client_id);
    expect(d.json().client_name).toBe('default (SECRET_KEY)');
    // Many first calls at once (several gateways): still one built-in client.
    const again = await Promise.all(Array.from({ length: 5 }, () => usage(SECRET)));
    expect(new Set(again.map((r) => r.json().client_id))).toEqual(new Set([d.json().client_id]));
  });
});

describe('video links signed with VIDEO_LINK_SECRET', () => {
  it('a link from the gateway opens; the same token signed with SECRET_KEY or ADMIN_KEY is 404', async () => {
    const boundary = 'vigint-secrets';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="video"; filename="v.mp4"\r\ncontent-type: video/mp4\r\n\r\n`,
      ),
      await mp4(1, '160x120'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await h.app.inject({
      method: 'POST',
      url: '/api/v1/videos/upload',
      headers: { 'x-api-key': SECRET, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(up.statusCode).toBe(200);
    const { video_id: id, video_url: url, expiration_time: exp } = up.json();
    const token = new URL(url).searchParams.get('token')!;
    expect(token).toBe(signVideoLink(LINK_SECRET, id, new Date(exp)));
    expect((await h.app.inject({ method: 'GET', url: `/video/${id}?token=${token}` })).statusCode).toBe(200);
    for (const other of [SECRET, ADMIN]) {
      const forged = signVideoLink(other, id, new Date(exp));
      expect((await h.app.inject({ method: 'GET', url: `/video/${id}?token=${forged}` })).statusCode).toBe(404);
    }
  });
});

describe('per-key revoke and rotate; a revoked key never comes back', () => {
  it('revoke one key, suspend and reactivate the client: the revoked key stays dead, the others return', async () => {
    const c = await admin('POST', '/admin/clients', { name: 'keys', email: 'keys@example.com' });
    const { client_id: id, api_key: first, api_key_id: firstId } = c.json();
    const second = await admin('POST', `/admin/clients/${id}/keys`, { name: 'site-2' });
    expect(second.statusCode).toBe(201);
    const key2 = second.json().api_key as string;
    expect((await usage(key2)).statusCode).toBe(200);

    const rv = await admin('POST', `/admin/clients/${id}/keys/${firstId}/revoke`);
    expect(rv.statusCode).toBe(200);
    expect((await usage(first)).statusCode).toBe(401);
    expect((await usage(key2)).statusCode).toBe(200);
    // Revoking it twice, or another client's key, is 404.
    expect((await admin('POST', `/admin/clients/${id}/keys/${firstId}/revoke`)).statusCode).toBe(404);

    expect((await admin('POST', `/admin/clients/${id}/revoke`)).json().revoked_count).toBe(1);
    expect((await usage(key2)).statusCode).toBe(401);
    const re = await admin('POST', `/admin/clients/${id}/reactivate`);
    expect(re.json().reactivated_count).toBe(1);
    expect((await usage(key2)).statusCode).toBe(200);
    expect((await usage(first)).statusCode).toBe(401);

    const listed = (await admin('GET', '/admin/clients')).json().clients.find((x: { id: string }) => x.id === id);
    expect(listed.api_keys.find((k: { id: string }) => k.id === firstId)).toMatchObject({
      is_active: false,
      revoked: true,
    });
  });

  it('rotate: a new key works at once, the old one is revoked for good', async () => {
    const c = await admin('POST', '/admin/clients', { name: 'rotate', email: 'rotate@example.com' });
    const { client_id: id, api_key: old, api_key_id: oldId } = c.json();
    const r = await admin('POST', `/admin/clients/${id}/keys/${oldId}/rotate`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ success: true, revoked_key_id: oldId });
    expect((await usage(r.json().api_key)).statusCode).toBe(200);
    expect((await usage(old)).statusCode).toBe(401);
    await admin('POST', `/admin/clients/${id}/revoke`);
    await admin('POST', `/admin/clients/${id}/reactivate`);
    expect((await usage(old)).statusCode).toBe(401);
    expect((await admin('POST', `/admin/clients/${id}/keys/${oldId}/rotate`)).statusCode).toBe(404);
  });

  it('keys are stored hashed: the database never holds a key in clear', async () => {
    const c = await admin('POST', '/admin/clients', { name: 'hash', email: 'hash@example.com' });
    const { Client } = (await import('pg')).default;
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ key_hash: string }>('select key_hash from api_keys');
      expect(rows.some((r) => r.key_hash.includes(c.json().api_key))).toBe(false);
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_hash))).toBe(true);
    } finally {
      await pg.end();
    }
  });
});
