import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { ADMIN, SECRET, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg, mp4 } from './media.fixtures';

let h: Harness;
let keyA: string;
let keyB: string;
let clientA: string;
let video: Buffer;

const json = (key: string | undefined, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  ...(key ? { 'x-api-key': key } : {}),
  ...extra,
});

async function post(url: string, body: unknown, key: string | undefined = keyA, headers: Record<string, string> = {}) {
  return h.app.inject({
    method: 'POST',
    url,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: json(key, headers),
  });
}

beforeAll(async () => {
  h = await startGateway({ BODY_LIMIT_MB: '2' });
  const mk = async (name: string) => {
    const r = await post('/admin/clients', { name, email: `${name}@example.com` }, undefined, {
      'x-admin-key': ADMIN,
    });
    expect(r.statusCode).toBe(201);
    return r.json() as { api_key: string; client_id: string };
  };
  const a = await mk('alpha');
  const b = await mk('beta');
  keyA = a.api_key;
  keyB = b.api_key;
  clientA = a.client_id;
  video = await mp4(2);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('public and operational routes', () => {
  it('GET /api/health answers the earlier shape without a key', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/health' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.status).toBe('healthy');
    expect(typeof body.timestamp).toBe('number');
    expect(body.services).toMatchObject({ redis: 'ok', postgres: 'ok' });
  });

  it('GET /api/ready checks Redis and PostgreSQL', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/ready' });
    expect(r.json()).toEqual({ status: 'ready', services: { redis: 'ok', postgres: 'ok' } });
  });

  it('GET /metrics is Prometheus text', async () => {
    await h.app.inject({ method: 'GET', url: '/api/health' });
    const r = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('vigint_http_requests_total');
  });

  it('serves the OpenAPI document with every route', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/docs/json' });
    const paths = Object.keys(r.json().paths);
    for (const p of [
      '/api/health',
      '/api/ready',
      '/api/video/buffer',
      '/api/video/buffer/batch',
      '/api/video/upload',
      '/api/video/analyze',
      '/api/video/alert',
      '/api/video/compress',
      '/api/video/create',
      '/api/video/download/{id}',
      '/api/storage/status',
      '/api/storage/cleanup',
      '/api/usage',
      '/api/video/multi-source/buffer',
      '/api/video/multi-source/analyze',
      '/api/jobs/{id}',
      '/api/v1/videos/upload',
      '/video/{id}',
      '/video/{id}/raw',
      '/admin/clients',
      '/admin/clients/{id}/revoke',
      '/admin/clients/{id}/reactivate',
      '/admin/clients/{id}/erase',
    ]) {
      expect(paths, p).toContain(p);
    }
    const ui = await h.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
    // The UI's files come from @fastify/static (≥ 10.1.3: the published traversal advisories fixed).
    const asset = await h.app.inject({ method: 'GET', url: '/docs/static/index.css' });
    expect(asset.statusCode).toBe(200);
    for (const probe of ['/docs/static/%2e%2e/package.json', '/docs/static/..%2f..%2fpackage.json']) {
      const r = await h.app.inject({ method: 'GET', url: probe });
      expect(r.statusCode, probe).toBeGreaterThanOrEqual(400);
      expect(r.body, probe).not.toMatch(/"name":\s*"@fastify/);
    }
  });

  it('unknown routes are JSON 404; rtsp and billing are 501', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe(ErrorCode.NotFound);
    for (const url of ['/api/rtsp/streams', '/api/billing/invoice']) {
      const x = await h.app.inject({ method: 'POST', url, headers: json(keyA), payload: '{}' });
      expect(x.statusCode).toBe(501);
      expect(x.json()).toMatchObject({ code: ErrorCode.NotImplemented });
      expect(x.json().error).toMatch(/not available/);
    }
  });
});

describe('auth', () => {
  it('accepts the key as X-API-Key, Bearer or ?api_key=, and SECRET_KEY for the default client', async () => {
    const ways = [
      { url: '/api/usage', headers: { 'x-api-key': keyA } },
      { url: '/api/usage', headers: { authorization: `Bearer ${keyA}` } },
      { url: `/api/usage?api_key=${encodeURIComponent(keyA)}`, headers: {} },
    ];
    for (const w of ways) {
      const r = await h.app.inject({ method: 'GET', ...w });
      expect(r.statusCode).toBe(200);
      expect(r.json().client_name).toBe('alpha');
    }
    const d = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': SECRET } });
    expect(d.statusCode).toBe(200);
    expect(d.json().client_name).toBe('default (SECRET_KEY)');
  });

  it('refuses a credential query parameter whose name is percent-encoded (?api%5Fkey=, ?tok%65n=) with 400 naming it, even beside a header key; ?api_key= as written still works', async () => {
    const k = encodeURIComponent(keyA);
    for (const url of [`/api/usage?api%5Fkey=${k}`, `/api/usage?api%5fkey=${k}`, `/api/usage?x=1&%61pi_key=${k}`]) {
      const r = await h.app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json()).toMatchObject({ code: ErrorCode.ValidationFailed, field: 'api_key' });
      expect(r.json().error).toMatch(/percent-encoded/);
      const withHeader = await h.app.inject({ method: 'GET', url, headers: { 'x-api-key': keyA } });
      expect(withHeader.statusCode, `${url} with X-API-Key`).toBe(400);
    }
    const link = await h.app.inject({ method: 'GET', url: '/video/some-id?tok%65n=abc' });
    expect(link.statusCode).toBe(400);
    expect(link.json()).toMatchObject({ code: ErrorCode.ValidationFailed, field: 'token' });
    const plain = await h.app.inject({ method: 'GET', url: `/api/usage?x=1&api_key=${k}` });
    expect(plain.statusCode).toBe(200);
    expect(plain.json().client_name).toBe('alpha');
  });

  it('refuses missing and unknown keys with 401', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/usage' })).statusCode).toBe(401);
    const r = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': 'not-a-key' } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ code: ErrorCode.Unauthorized });
  });

  it('admin routes need X-Admin-Key; revoke and reactivate work and unknown clients are 404', async () => {
    expect(
      (await h.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': 'wrong' } })).statusCode,
    ).toBe(401);
    expect(
      (await h.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-api-key': keyA } })).statusCode,
    ).toBe(401);
    const list = await h.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': ADMIN } });
    expect(list.json().count).toBeGreaterThanOrEqual(2);
    expect(list.json().clients.find((c: { name: string }) => c.name === 'alpha').api_keys[0].is_active).toBe(true);

    const c = await post('/admin/clients', { name: 'gamma', email: 'gamma@example.com' }, undefined, {
      'x-admin-key': ADMIN,
    });
    const { api_key, client_id } = c.json();
    expect(api_key).toHaveLength(43);
    const dup = await post('/admin/clients', { name: 'gamma2', email: 'gamma@example.com' }, undefined, {
      'x-admin-key': ADMIN,
    });
    expect(dup.statusCode).toBe(409);

    const rev = await post(`/admin/clients/${client_id}/revoke`, {}, undefined, { 'x-admin-key': ADMIN });
    expect(rev.json()).toMatchObject({ success: true, client_name: 'gamma', revoked_count: 1 });
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': api_key } })).statusCode,
    ).toBe(401);
    const re = await post(`/admin/clients/${client_id}/reactivate`, {}, undefined, { 'x-admin-key': ADMIN });
    expect(re.json()).toMatchObject({ reactivated_count: 1 });
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': api_key } })).statusCode,
    ).toBe(200);
    expect((await post('/admin/clients/99999/revoke', {}, undefined, { 'x-admin-key': ADMIN })).statusCode).toBe(404);
  });
});

describe('input errors are 4xx with the flat body naming the field', () => {
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const r = await post('/api/video/buffer', '{"frame_data": ');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: expect.any(String), code: ErrorCode.MalformedJson });
  });

  it('missing and ill-typed fields → 400 naming the field', async () => {
    const m = await post('/api/video/buffer', {});
    expect(m.statusCode).toBe(400);
    expect(m.json()).toMatchObject({ code: ErrorCode.ValidationFailed, field: 'frame_data' });
    const t = await post('/api/video/buffer', { frame_data: 12345 });
    expect(t.statusCode).toBe(400);
    expect(t.json().field).toBe('frame_data');
    const c = await post('/api/video/compress', { video_data: b64(video), max_size_mb: 'big' });
    expect(c.statusCode).toBe(400);
    expect(c.json().field).toBe('max_size_mb');
  });

  it('base64 that does not decode → 400 INVALID_BASE64', async () => {
    const r = await post('/api/video/buffer', { frame_data: 'this is *not* base64!' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: ErrorCode.InvalidBase64, field: 'frame_data' });
  });

  it('bytes that are not an image → 422 INVALID_IMAGE before anything is queued', async () => {
    const r = await post('/api/video/analyze', { frame: b64(Buffer.from('definitely not a jpeg')) });
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({ code: ErrorCode.InvalidImage, field: 'frame' });
    const c = await post('/api/video/create', { frames: [b64(await jpeg()), b64(Buffer.from('nope'))] });
    expect(c.statusCode).toBe(422);
    expect(c.json().field).toBe('frames.1');
  });

  it('bytes that are not a video → 422 INVALID_VIDEO', async () => {
    const r = await post('/api/video/upload', { video_data: b64(await jpeg()), video_filename: 'clip.mp4' });
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({ code: ErrorCode.InvalidVideo, field: 'video_data' });
  });

  it('negative fps and unknown video_format → 400', async () => {
    const frame = b64(await jpeg());
    const f = await post('/api/video/create', { frames: [frame], fps: -5 });
    expect(f.statusCode).toBe(400);
    expect(f.json().field).toBe('fps');
    const v = await post('/api/video/create', { frames: [frame], video_format: 'avi' });
    expect(v.statusCode).toBe(400);
    expect(v.json().field).toBe('video_format');
    const s = await post('/api/video/compress', { video_data: b64(video), max_size_mb: -1 });
    expect(s.statusCode).toBe(400);
    expect(s.json().field).toBe('max_size_mb');
  });

  it('path characters in file names → 400 INVALID_FILENAME', async () => {
    for (const name of ['../../etc/passwd', 'a/b.mp4', 'c:\\x.mp4', '..']) {
      const r = await post('/api/video/upload', { video_data: b64(video), video_filename: name });
      expect(r.statusCode, name).toBe(400);
      expect(r.json()).toMatchObject({ code: ErrorCode.InvalidFilename, field: 'video_filename' });
    }
    const c = await post('/api/video/create', { frames: [b64(await jpeg())], output_filename: '../out.mp4' });
    expect(c.json()).toMatchObject({ code: ErrorCode.InvalidFilename, field: 'output_filename' });
  });

  it('bodies over the limit → 413', async () => {
    const big = 'A'.repeat(3 * 1024 * 1024);
    const r = await post('/api/video/upload', { video_data: big });
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe(ErrorCode.PayloadTooLarge);
  });

  it('analyze with nothing sent or buffered → 409 NOTHING_BUFFERED', async () => {
    const r = await post('/api/video/analyze', {}, keyB);
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe(ErrorCode.NothingBuffered);
  });

  it('unknown ids → 404', async () => {
    for (const url of [
      '/api/video/download/00000000-0000-0000-0000-000000000000',
      '/api/video/download/nope',
      '/api/jobs/analyze-nope',
    ]) {
      const r = await h.app.inject({ method: 'GET', url, headers: { 'x-api-key': keyA } });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe(ErrorCode.NotFound);
    }
  });
});

describe('buffers, uploads, downloads and tenants', () => {
  it('buffers frames (single, batch, multipart) per client', async () => {
    const one = await post('/api/video/buffer', {
      frame_data: b64(await jpeg()),
      frame_count: 7,
      timestamp: '2026-01-01T00:00:00Z',
    });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ status: 'buffered', frame_count: 7, buffer_size: 1 });
    const batch = await post('/api/video/buffer/batch', {
      frames: [{ frame_data: b64(await jpeg(160, 120, 10)) }, { frame_data: b64(await jpeg(160, 120, 20)) }],
    });
    expect(batch.json()).toMatchObject({ status: 'buffered', frames_added: 2, buffer_size: 3 });
    const form = new FormData();
    form.append('frame', new Blob([new Uint8Array(await jpeg(160, 120, 30))], { type: 'image/jpeg' }), 'f.jpg');
    form.append('frame_count', '9');
    const req = new Request('http://x', { method: 'POST', body: form });
    const mp = await h.app.inject({
      method: 'POST',
      url: '/api/video/buffer',
      headers: { 'x-api-key': keyA, 'content-type': req.headers.get('content-type')! },
      payload: Buffer.from(await req.arrayBuffer()),
    });
    expect(mp.statusCode, mp.body).toBe(200);
    expect(mp.json()).toMatchObject({ buffer_size: 4, frame_count: 9 });
    // Beta's buffer is its own.
    const other = await post('/api/video/buffer', { frame_data: b64(await jpeg()) }, keyB);
    expect(other.json().buffer_size).toBe(1);
  });

  it('multi-source buffer keeps one buffer per source', async () => {
    const a = await post('/api/video/multi-source/buffer', {
      frame_data: b64(await jpeg()),
      source_id: 'cam-1',
      source_name: 'Door',
      frame_count: 1,
    });
    expect(a.json()).toEqual({ success: true, source_id: 'cam-1', buffer_size: 1, frame_count: 1 });
    const b = await post('/api/video/multi-source/buffer', { frame_data: b64(await jpeg()), source_id: 'cam-2' });
    expect(b.json().buffer_size).toBe(1);
    const bad = await post('/api/video/multi-source/buffer', { frame_data: b64(await jpeg()), source_id: '../x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('source_id');
  });

  it('upload → download (with Range), scoped to the client and audit-logged', async () => {
    const up = await post('/api/video/upload', { video_data: b64(video), video_filename: 'door cam.mp4' });
    expect(up.statusCode).toBe(200);
    const u = up.json();
    expect(u).toMatchObject({
      status: 'uploaded',
      ready_for_analysis: true,
      video_filename: 'door cam.mp4',
      size_bytes: video.length,
    });
    expect(u.duration).toBeCloseTo(2, 0);
    expect(u.frame_count).toBeGreaterThanOrEqual(45);

    const dl = await h.app.inject({
      method: 'GET',
      url: `/api/video/download/${u.video_id}`,
      headers: { 'x-api-key': keyA },
    });
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-type']).toBe('video/mp4');
    expect(dl.rawPayload.equals(video)).toBe(true);
    const part = await h.app.inject({
      method: 'GET',
      url: `/api/video/download/${u.video_id}`,
      headers: { 'x-api-key': keyA, range: 'bytes=10-19' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${video.length}`);
    expect(part.rawPayload.equals(video.subarray(10, 20))).toBe(true);

    // Beta cannot see Alpha's video.
    const other = await h.app.inject({
      method: 'GET',
      url: `/api/video/download/${u.video_id}`,
      headers: { 'x-api-key': keyB },
    });
    expect(other.statusCode).toBe(404);

    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: h.db.url });
    await c.connect();
    const rows = (await c.query(`SELECT action, target, client_id FROM audit_log WHERE action = 'video.download'`))
      .rows;
    await c.end();
    expect(rows).toContainEqual({ action: 'video.download', target: u.video_id, client_id: Number(clientA) });
  });

  it('multipart upload of a video streams to the store', async () => {
    const form = new FormData();
    form.append('video', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'm.mp4');
    const req = new Request('http://x', { method: 'POST', body: form });
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/video/upload',
      headers: { 'x-api-key': keyA, 'content-type': req.headers.get('content-type')! },
      payload: Buffer.from(await req.arrayBuffer()),
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ video_filename: 'm.mp4', size_bytes: video.length });
  });

  it('Prefer: respond-async → 202 {job_id, status_url}; the job is visible to its client only', async () => {
    const r = await post('/api/video/create', { frames: [b64(await jpeg())] }, keyA, { prefer: 'respond-async' });
    expect(r.statusCode).toBe(202);
    const { job_id, status_url } = r.json();
    expect(status_url).toBe(`/api/jobs/${job_id}`);
    const mine = await h.app.inject({ method: 'GET', url: status_url, headers: { 'x-api-key': keyA } });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ job_id, name: 'VideoCreate' });
    const theirs = await h.app.inject({ method: 'GET', url: status_url, headers: { 'x-api-key': keyB } });
    expect(theirs.statusCode).toBe(404);
  });

  it('storage status and usage are per client, with per-day counters', async () => {
    const s = await h.app.inject({ method: 'GET', url: '/api/storage/status', headers: { 'x-api-key': keyA } });
    expect(s.statusCode).toBe(200);
    expect(s.json()).toMatchObject({
      status: expect.stringMatching(/healthy|low_space/),
      disk_info: { available: true },
    });
    expect(s.json().artifacts.count).toBeGreaterThanOrEqual(2);
    const sb = await h.app.inject({ method: 'GET', url: '/api/storage/status', headers: { 'x-api-key': keyB } });
    expect(sb.json().artifacts.count).toBe(0);
    // The disk as each client sees it: its own bytes used, never the shared volume's usage.
    expect(sb.json().disk_info.used_gb).toBe(0);
    const a = s.json();
    expect(a.disk_info.used_gb).toBeCloseTo(a.artifacts.total_bytes / 1024 ** 3, 2);
    expect(a.disk_info.total_gb).toBeCloseTo(a.disk_info.used_gb + a.disk_info.free_gb, 1);
    const mon = await post('/api/storage/cleanup', { type: 'monitor' });
    expect(mon.json()).toMatchObject({ success: true, cleanup_type: 'monitor', cleanup_result: { cleaned: 0 } });
    await new Promise((r) => setTimeout(r, 200));
    const u = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': keyA } });
    const body = u.json();
    expect(body.usage_count).toBeGreaterThan(5);
    expect(body.usage[0]).toMatchObject({
      endpoint: expect.any(String),
      method: expect.any(String),
      status_code: expect.any(Number),
    });
    const upload = body.daily.find((d: { endpoint: string }) => d.endpoint === '/api/video/upload');
    expect(upload.requests).toBeGreaterThanOrEqual(2);
    expect(upload.bytes_in).toBeGreaterThan(video.length);
    const ub = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': keyB } });
    expect(ub.json().daily.find((d: { endpoint: string }) => d.endpoint === '/api/video/upload')).toBeUndefined();
  });

  it('never writes a key to the logs', async () => {
    await h.app.inject({ method: 'GET', url: `/api/usage?api_key=${encodeURIComponent(keyB)}` });
    const all = h.logs.join('');
    expect(all.length).toBeGreaterThan(100);
    for (const k of [keyA, keyB, SECRET]) expect(all).not.toContain(k);
  });
});
