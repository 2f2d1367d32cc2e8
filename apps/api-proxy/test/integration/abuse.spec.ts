import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signVideoLink } from '@vigint/alerting';
import { ErrorCode } from '@vigint/contracts';
import { makeBombPng, makeTestJpeg } from '@vigint/testing';
import { safeEqual } from '../../src/plugins/app/auth';
import { ADMIN, SECRET, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg, mp4 } from './media.fixtures';
import { rawHttp } from './raw-http';

/*
 * Issue 9, bad input and abuse against the gateway (no worker: routes that need one answer "pending").
 * Tenants, revoked and non-admin keys, keys in logs, tampered and expired links, hostile media, bodies
 * over the limit on a real socket.
 */

let h: Harness;
let port: number;
const A = { key: '', id: '' };
const B = { key: '', id: '' };

type Method = 'GET' | 'POST';
const inject = (method: Method, url: string, key?: string, body?: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({
    method,
    url,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'x-api-key': key } : {}),
      ...headers,
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });

/** Fails instead of hanging: every hostile input must be answered in bounded time. */
async function bounded<T>(what: string, p: Promise<T>, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Rewrites the durations in an MP4's mvhd/tkhd/mdhd boxes: a 2 s file whose header claims 10 hours. */
function claimTenHours(file: Buffer): Buffer {
  const out = Buffer.from(file);
  const patch = (box: string, timescaleAt: number | null, durationAt: number, movieTimescale?: number) => {
    let from = 0;
    for (;;) {
      const i = out.indexOf(box, from, 'latin1');
      if (i < 0) return;
      from = i + 4;
      if (out[i + 4] !== 0) continue; // version 1 (64-bit) boxes are not produced for short files
      const ts = timescaleAt === null ? movieTimescale! : out.readUInt32BE(i + timescaleAt);
      out.writeUInt32BE(Math.min(0xffffffff, ts * 36_000), i + durationAt);
    }
  };
  const mvhd = out.indexOf('mvhd', 0, 'latin1');
  const movieTimescale = out.readUInt32BE(mvhd + 16);
  patch('mvhd', 16, 20);
  patch('tkhd', null, 24, movieTimescale);
  patch('mdhd', 16, 20);
  return out;
}

beforeAll(async () => {
  h = await startGateway({ BODY_LIMIT_MB: '2', SYNC_WAIT_MS: '50', RATE_LIMIT_MAX: '100000' });
  for (const [who, name] of [
    [A, 'alpha'],
    [B, 'beta'],
  ] as const) {
    const r = await inject(
      'POST',
      '/admin/clients',
      undefined,
      { name, email: `${name}@example.com` },
      {
        'x-admin-key': ADMIN,
      },
    );
    expect(r.statusCode).toBe(201);
    who.key = r.json().api_key;
    who.id = r.json().client_id;
  }
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('tenants', () => {
  it("client B with client A's ids gets 404 everywhere, and never A's buffers or last upload", async () => {
    const video = await mp4(1);
    const up = await inject('POST', '/api/video/upload', A.key, { video_data: b64(video) });
    expect(up.statusCode).toBe(200);
    const videoId = up.json().video_id as string;
    const job = await inject(
      'POST',
      '/api/video/create',
      A.key,
      { frames: [b64(await jpeg())] },
      {
        prefer: 'respond-async',
      },
    );
    expect(job.statusCode).toBe(202);
    const jobId = job.json().job_id as string;
    expect(
      (
        await inject('POST', '/api/video/multi-source/buffer', A.key, {
          frame_data: b64(await jpeg()),
          source_id: 'gate',
        })
      ).statusCode,
    ).toBe(200);

    // A sees its own things.
    expect((await inject('GET', `/api/video/download/${videoId}`, A.key)).statusCode).toBe(200);
    expect((await inject('GET', `/api/jobs/${jobId}`, A.key)).statusCode).toBe(200);

    // B: the same ids are "not found", with the same body as an id that never existed.
    for (const url of [`/api/video/download/${videoId}`, `/api/jobs/${jobId}`]) {
      const r = await inject('GET', url, B.key);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().code).toBe(ErrorCode.NotFound);
    }
    const ranged = await inject('GET', `/api/video/download/${videoId}`, B.key, undefined, { range: 'bytes=0-9' });
    expect(ranged.statusCode).toBe(404);
    // A's server-side state is invisible to B: nothing buffered, no last upload, no source "gate".
    const analyze = await inject('POST', '/api/video/analyze', B.key, {});
    expect(analyze.statusCode).toBe(409);
    expect(analyze.json().code).toBe(ErrorCode.NothingBuffered);
    const multi = await inject('POST', '/api/video/multi-source/analyze', B.key, { source_ids: ['gate'] });
    expect(multi.statusCode).toBeLessThan(500);
    expect(JSON.stringify(multi.json())).not.toContain(videoId);
    const alert = await inject('POST', '/api/video/alert', B.key, { use_server_buffer: true, analysis: 'x' });
    expect(alert.statusCode).toBeLessThan(500);
    expect(alert.json().video_link?.video_id ?? null).toBeNull();
    // …whereas A's own alert picks up A's last upload.
    const mine = await inject('POST', '/api/video/alert', A.key, { use_server_buffer: true, analysis: 'x' });
    expect(mine.json().video_link?.video_id).toBe(videoId);
    // Storage and usage counters of B do not include A's upload.
    const status = await inject('GET', '/api/storage/status', B.key);
    expect(status.json().artifacts.count).toBe(0);
  });

  it('a revoked key is refused on every authenticated route; reactivated, it works again', async () => {
    const c = await inject(
      'POST',
      '/admin/clients',
      undefined,
      { name: 'gamma', email: 'g@example.com' },
      {
        'x-admin-key': ADMIN,
      },
    );
    const { api_key: key, client_id: id } = c.json();
    expect((await inject('GET', '/api/usage', key)).statusCode).toBe(200);
    const rv = await inject('POST', `/admin/clients/${id}/revoke`, undefined, undefined, { 'x-admin-key': ADMIN });
    expect(rv.statusCode).toBe(200);
    const routes: Array<[Method, string, unknown?]> = [
      ['GET', '/api/usage'],
      ['GET', '/api/storage/status'],
      ['GET', '/api/jobs/analyze-x'],
      ['GET', '/api/video/download/x'],
      ['POST', '/api/video/buffer', { frame_data: 'AAAA' }],
      ['POST', '/api/video/buffer/batch', { frames: [] }],
      ['POST', '/api/video/multi-source/buffer', { frame_data: 'AAAA', source_id: 's' }],
      ['POST', '/api/video/analyze', {}],
      ['POST', '/api/video/multi-source/analyze', {}],
      ['POST', '/api/video/alert', {}],
      ['POST', '/api/video/create', { frames: ['AAAA'] }],
      ['POST', '/api/video/compress', { video_data: 'AAAA' }],
      ['POST', '/api/video/upload', { video_data: 'AAAA' }],
      ['POST', '/api/v1/videos/upload', {}],
      ['POST', '/api/storage/cleanup', { type: 'all' }],
    ];
    for (const [method, url, body] of routes) {
      for (const headers of [{ 'x-api-key': key }, { authorization: `Bearer ${key}` }] as Record<string, string>[]) {
        const r = await inject(method, url, undefined, body, headers);
        expect(r.statusCode, `${method} ${url}`).toBe(401);
        expect(r.json().code).toBe(ErrorCode.Unauthorized);
      }
      const q = await inject(method, `${url}?api_key=${encodeURIComponent(key)}`, undefined, body);
      expect(q.statusCode, `${method} ${url}?api_key`).toBe(401);
    }
    await inject('POST', `/admin/clients/${id}/reactivate`, undefined, undefined, { 'x-admin-key': ADMIN });
    expect((await inject('GET', '/api/usage', key)).statusCode).toBe(200);
  });

  it('admin routes refuse client keys, wherever they are put', async () => {
    const routes: Array<[Method, string, unknown?]> = [
      ['GET', '/admin/clients'],
      ['POST', '/admin/clients', { name: 'evil', email: 'evil@example.com' }],
      ['POST', `/admin/clients/${B.id}/revoke`],
      ['POST', `/admin/clients/${B.id}/reactivate`],
    ];
    for (const [method, url, body] of routes) {
      for (const headers of [
        { 'x-api-key': A.key },
        { 'x-admin-key': A.key },
        { authorization: `Bearer ${A.key}` },
        { 'x-admin-key': `${ADMIN}x` },
        { 'x-admin-key': ADMIN.slice(0, -1) },
        { 'x-admin-key': SECRET },
        { 'x-admin-key': '' },
      ] as Record<string, string>[]) {
        const r = await inject(method, url, undefined, body, headers);
        expect(r.statusCode, `${method} ${url} ${Object.keys(headers)[0]}`).toBe(401);
      }
    }
    // B was never revoked by any of those.
    expect((await inject('GET', '/api/usage', B.key)).statusCode).toBe(200);
  });

  it('key comparison: equal only for the same string, whatever the length (constant-time digest compare)', () => {
    expect(safeEqual(SECRET, SECRET)).toBe(true);
    expect(safeEqual(SECRET, `${SECRET.slice(0, -1)}X`)).toBe(false);
    expect(safeEqual(SECRET, SECRET.slice(0, 4))).toBe(false);
    expect(safeEqual('', SECRET)).toBe(false);
    // A key that differs from A's only in its last character is unknown.
    const near = `${A.key.slice(0, -1)}${A.key.endsWith('A') ? 'B' : 'A'}`;
    return inject('GET', '/api/usage', near).then((r) => expect(r.statusCode).toBe(401));
  });
});

describe('private video links', () => {
  let videoId: string;
  let token: string;
  let otherId: string;

  beforeAll(async () => {
    const video = await mp4(1);
    const up = async () => {
      const form = new FormData();
      form.append('video', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'v.mp4');
      const req = new Request('http://x', { method: 'POST', body: form });
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/videos/upload',
        headers: { 'x-api-key': A.key, 'content-type': req.headers.get('content-type')! },
        payload: Buffer.from(await req.arrayBuffer()),
      });
      expect(r.statusCode).toBe(200);
      return r.json() as { video_id: string; video_url: string };
    };
    const first = await up();
    videoId = first.video_id;
    token = new URL(first.video_url).searchParams.get('token')!;
    otherId = (await up()).video_id;
  }, 60_000);

  it('a Range request on the stream is audited too (one from byte 1 streams nearly the whole clip)', async () => {
    const url = `/video/${videoId}/raw?token=${encodeURIComponent(token)}`;
    const ranged = await inject('GET', url, undefined, undefined, { range: 'bytes=1-' });
    expect(ranged.statusCode).toBe(206);
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: h.db.url });
    await c.connect();
    try {
      const rows = (
        await c.query(`SELECT action FROM audit_log WHERE target = $1 AND action = 'video.link.range'`, [videoId])
      ).rows;
      expect(rows).toHaveLength(1);
    } finally {
      await c.end();
    }
  });

  it('the signed link works; tampered, foreign, expired or missing tokens are 404 on the page and the stream', async () => {
    expect((await inject('GET', `/video/${videoId}?token=${encodeURIComponent(token)}`)).statusCode).toBe(200);
    expect((await inject('GET', `/video/${videoId}/raw?token=${encodeURIComponent(token)}`)).statusCode).toBe(200);
    const [exp, sig] = token.split('.') as [string, string];
    const flip = (s: string) => `${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}`;
    const bad = [
      `${exp}.${flip(sig)}`, // tampered signature
      `${Number(exp) + 3600}.${sig}`, // stretched expiry
      signVideoLink(SECRET, videoId, new Date(Date.now() - 1000)), // expired (correctly signed)
      signVideoLink('another-secret-123', videoId, new Date(Date.now() + 3_600_000)), // wrong key
      'garbage',
    ];
    for (const t of bad) {
      for (const url of [`/video/${videoId}`, `/video/${videoId}/raw`]) {
        const r = await inject('GET', `${url}?token=${encodeURIComponent(t)}`);
        expect(r.statusCode, `${url} ${t}`).toBe(404);
      }
    }
    // A valid token of one video does not open another.
    expect((await inject('GET', `/video/${otherId}?token=${encodeURIComponent(token)}`)).statusCode).toBe(404);
    expect((await inject('GET', `/video/${otherId}/raw?token=${encodeURIComponent(token)}`)).statusCode).toBe(404);
    expect((await inject('GET', `/video/${videoId}`)).statusCode).toBeGreaterThanOrEqual(400);
    expect((await inject('GET', `/video/${videoId}`)).statusCode).toBeLessThan(500);
  });
});

describe('hostile media: a clear 4xx in bounded time', () => {
  it('truncated MP4, JPEG as video, 10-hour header, 1-frame video on /api/video/upload', async () => {
    const good = await mp4(2);
    const truncated = good.subarray(0, Math.floor(good.length * 0.3));
    const cases: Array<[string, Buffer, (status: number) => void]> = [
      ['truncated mp4', truncated, (s) => expect(s).toBe(422)],
      ['jpeg as video', await jpeg(), (s) => expect(s).toBe(422)],
      ['ten-hour header', claimTenHours(good), (s) => expect(s).toBeLessThan(500)],
      ['one-frame video', await mp4(1, '320x240', ['-frames:v', '1']), (s) => expect(s).toBeLessThan(500)],
      [
        'random bytes',
        Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
        (s) => expect(s).toBe(422),
      ],
    ];
    for (const [label, data, check] of cases) {
      const r = await bounded(label, inject('POST', '/api/video/upload', A.key, { video_data: b64(data) }));
      check(r.statusCode);
      if (r.statusCode >= 400) {
        expect(r.json(), label).toMatchObject({ error: expect.any(String), code: expect.any(String) });
      }
    }
  }, 120_000);

  it('the 10-hour header is read as such, yet sampling it stays bounded', async () => {
    const r = await bounded(
      'ten-hour header',
      inject('POST', '/api/video/upload', A.key, { video_data: b64(claimTenHours(await mp4(2))) }),
    );
    if (r.statusCode === 200) {
      // Accepted: then the gateway believed the header, and still answered promptly.
      expect(r.json().duration).toBeGreaterThan(3600);
    } else {
      expect(r.statusCode).toBeLessThan(500);
    }
  }, 60_000);

  it('a decompression-bomb PNG as a frame → 422 INVALID_IMAGE on buffer, create and analyze', async () => {
    const bomb = b64(makeBombPng());
    for (const [url, body] of [
      ['/api/video/buffer', { frame_data: bomb }],
      ['/api/video/buffer/batch', { frames: [{ frame_data: bomb }] }],
      ['/api/video/create', { frames: [bomb] }],
      ['/api/video/analyze', { frames: [bomb] }],
    ] as const) {
      const r = await bounded(url, inject('POST', url, A.key, body));
      expect(r.statusCode, url).toBe(422);
      expect(r.json().code).toBe(ErrorCode.InvalidImage);
    }
  });

  it('an SVG, GIF, TIFF or HEIF frame → 422 INVALID_IMAGE naming the field (JPEG, PNG, WebP only)', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
    );
    const others = await Promise.all(
      (['gif', 'tiff', 'heif'] as const).map((format) => makeTestJpeg({ width: 16, height: 16, format })),
    );
    for (const img of [svg, ...others]) {
      const r = await inject('POST', '/api/video/buffer/batch', A.key, {
        frames: [{ frame_data: b64(await makeTestJpeg({ width: 16, height: 16 })) }, { frame_data: b64(img) }],
      });
      expect(r.statusCode).toBe(422);
      expect(r.json()).toMatchObject({
        code: ErrorCode.InvalidImage,
        error: expect.stringMatching(/JPEG, PNG or WebP only/),
      });
      expect(r.json().error).toMatch(/frames\.1/);
    }
    const webp = await makeTestJpeg({ width: 16, height: 16, format: 'webp' });
    const ok = await inject('POST', '/api/video/buffer', A.key, { frame_data: b64(webp) });
    expect(ok.statusCode).toBeLessThan(300);
  });
});

describe('bodies over the limit on a real socket', () => {
  const raw = (head: string, body: Parameters<typeof rawHttp>[2]) => rawHttp(port, head, body);

  it('Content-Length over the limit → 413 before any body byte is read', async () => {
    const { reply, sent } = await raw(
      `POST /api/video/upload HTTP/1.1\r\nHost: x\r\nx-api-key: ${A.key}\r\ncontent-type: application/json\r\ncontent-length: ${500 * 1024 * 1024}\r\nconnection: close\r\n\r\n`,
      async () => 0,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect(sent).toBe(0);
  });

  it('a chunked body that grows past the limit → 413 as soon as it crosses it, not after all of it', async () => {
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    let total = 0;
    const { reply } = await raw(
      `POST /api/video/upload HTTP/1.1\r\nHost: x\r\nx-api-key: ${A.key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
      async (write, isClosed) => {
        write(Buffer.from('f\r\n{"video_data":"\r\n'));
        // Up to 64 MiB offered; the server must stop reading long before.
        for (let i = 0; i < 256 && !isClosed(); i++) {
          const framed = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
          if (!write(framed)) await new Promise((r) => setTimeout(r, 20));
          total += chunk.length;
        }
        return total;
      },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect(total).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('logs', () => {
  it('keys, admin key and link tokens never reach the logs, whichever way they were sent', async () => {
    const token = signVideoLink(SECRET, 'nope', new Date(Date.now() + 60_000));
    await inject('GET', `/api/usage?api_key=${encodeURIComponent(A.key)}`);
    await inject('GET', '/api/usage', undefined, undefined, { authorization: `Bearer ${B.key}` });
    await inject('GET', '/api/usage', 'wrong-key-on-purpose-123456789');
    await inject('GET', '/admin/clients', undefined, undefined, { 'x-admin-key': ADMIN });
    await inject('GET', '/admin/clients', undefined, undefined, { 'x-admin-key': A.key });
    await inject('GET', `/video/nope?token=${encodeURIComponent(token)}`);
    await inject('POST', '/api/video/buffer', A.key, { frame_data: 'not base64 !!' });
    const all = h.logs.join('');
    expect(all.length).toBeGreaterThan(1000);
    for (const secret of [A.key, B.key, SECRET, 'wrong-key-on-purpose-123456789', token, token.split('.')[1]!]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[Redacted]');
  });
});

describe('failed authentication and rate limits', () => {
  let g: Harness;
  beforeAll(async () => {
    g = await startGateway({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000', AUTH_FAIL_MAX: '3' });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
  });

  // Wrong API keys and wrong admin keys count against the caller's address (auth-throttle.ts): guessing
  // SECRET_KEY or a client key at full speed is cut off with 429, before any key lookup.
  it('guessing keys from one address is throttled like any other caller', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      codes.push(
        (await g.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': `guess-${i}` } }))
          .statusCode,
      );
      codes.push(
        (await g.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': `guess-${i}` } })).statusCode,
      );
    }
    expect(codes).toContain(429);
  });
});
