import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isAppError } from '@vigint/contracts';
import { createLogger } from '@vigint/logger';
import { ApiError } from './api-error';
import { IDEMPOTENCY_HEADER, VigintClient, wireIdempotencyKey, type VigintClientOptions } from './vigint.client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}

type Handler = (req: Seen, res: ServerResponse, n: number) => void;

let servers: Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      };
      seen.push(s);
      handler(s, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

afterEach(async () => {
  await Promise.all(
    servers.map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))),
  );
  servers = [];
});

const KEY = 'k-0123456789abcdefghijklmnopqrstuvwxyzABCDE';

function client(url: string, extra: Partial<VigintClientOptions> = {}): VigintClient {
  return new VigintClient({ baseUrl: url, apiKey: KEY, backoff: { baseDelayMs: 5, maxDelayMs: 20 }, ...extra });
}

async function formOf(s: Seen): Promise<FormData> {
  return new Response(s.body, { headers: { 'content-type': String(s.headers['content-type']) } }).formData();
}

const HEALTHY = { status: 'healthy', timestamp: 1, services: {} };

describe('VigintClient', () => {
  it('retries a 503 and returns the later success', async () => {
    const { url, seen } = await serve((_s, res, n) =>
      n < 3 ? reply(res, 503, { error: 'queue down', code: 'DEPENDENCY_UNAVAILABLE' }) : reply(res, 200, HEALTHY),
    );
    const health = await client(url).healthCheck();
    expect(health.status).toBe('healthy');
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.headers['x-api-key'] === KEY && !s.url.includes(KEY))).toBe(true);
  });

  it('gives up after `retries` and throws the last error as a transient AppError with its status', async () => {
    const { url, seen } = await serve((_s, res) =>
      reply(res, 503, { error: 'queue down', code: 'DEPENDENCY_UNAVAILABLE' }),
    );
    const err = await client(url, { retries: 2 })
      .getUsageStats()
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(3);
    expect(isAppError(err)).toBe(true);
    expect(err).toMatchObject({ code: ErrorCode.DependencyUnavailable, status: 503, attempts: 3, transient: true });
    expect((err as ApiError).httpStatus).toBe(503);
  });

  it('honours Retry-After seconds on 429: the next attempt comes no sooner', async () => {
    const { url, seen } = await serve((_s, res, n) =>
      n === 1
        ? reply(res, 429, { error: 'slow down', code: 'RATE_LIMITED' }, { 'retry-after': '1' })
        : reply(res, 200, HEALTHY),
    );
    await client(url, { backoff: { baseDelayMs: 1, maxDelayMs: 1 } }).healthCheck();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { url, seen } = await serve((_s, res, n) =>
      n === 1
        ? reply(
            res,
            503,
            { error: 'busy', code: 'DEPENDENCY_UNAVAILABLE' },
            { 'retry-after': new Date(Date.now() + 2000).toUTCString() },
          )
        : reply(res, 200, HEALTHY),
    );
    await client(url, { backoff: { baseDelayMs: 1, maxDelayMs: 1 } }).healthCheck();
    // HTTP dates have 1 s resolution: the wait is at least the date minus that second.
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('does not wait past its total bound: a Retry-After beyond it fails at once', async () => {
    const { url, seen } = await serve((_s, res) =>
      reply(res, 429, { error: 'slow down', code: 'RATE_LIMITED' }, { 'retry-after': '3600' }),
    );
    const err = await client(url, { backoff: { maxElapsedMs: 5_000 } })
      .healthCheck()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimited, status: 429, attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it('never retries a 400 and rebuilds the AppError from the flat body', async () => {
    const { url, seen } = await serve((_s, res) =>
      reply(res, 400, { error: 'invalid body: risk_level', code: 'VALIDATION_FAILED', field: 'risk_level' }),
    );
    const err = await client(url)
      .sendSecurityAlert({ analysis: 'x', risk_level: 'PURPLE' })
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'risk_level',
      message: 'invalid body: risk_level',
      status: 400,
      transient: false,
      permanent: true,
    });
  });

  it('maps a non-JSON error page to a code from its status', async () => {
    const { url } = await serve((_s, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>nope</h1>');
    });
    const err = await client(url)
      .getJob('job-1')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.NotFound, status: 404 });
  });

  it('times out a silent server, retrying within the bound', async () => {
    const { url, seen } = await serve(() => undefined); // never answers
    const err = await client(url, { timeoutMs: 150, retries: 1 })
      .healthCheck()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.Timeout, kind: 'timeout', attempts: 2, transient: true });
    expect(seen).toHaveLength(2);
  });

  it('reports a refused connection as a transient network error after its retries', async () => {
    const { url } = await serve(() => undefined);
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const err = await client(url, { retries: 2 })
      .healthCheck()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.DependencyUnavailable, kind: 'network', attempts: 3, transient: true });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('stops at once when the caller aborts', async () => {
    const { url, seen } = await serve(() => undefined);
    const ac = new AbortController();
    const pending = client(url)
      .healthCheck({ signal: ac.signal })
      .catch((e: unknown) => e);
    // Aborted once the request is at the server (it never answers), not after a fixed time a loaded machine may miss.
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort(new Error('shutting down'));
    expect(await pending).toMatchObject({ message: 'shutting down' });
    expect(seen).toHaveLength(1);
  });

  it('keeps one idempotency key (header and body) across the retries of an alert', async () => {
    const ok = { success: true, status: 'delivered', alert_id: 'a1' };
    const { url, seen } = await serve((_s, res, n) =>
      n < 3 ? reply(res, 502, { error: 'bad gateway', code: 'INTERNAL' }) : reply(res, 200, ok),
    );
    const clip = Buffer.from('fake-mp4-bytes');
    const out = await client(url).sendSecurityAlert(
      {
        analysis: 'person at the door',
        risk_level: 'HIGH',
        client_id: 'cam-1',
        video_data: clip,
        video_filename: 'c.mp4',
      },
      { idempotencyKey: 'cam-1-1700000000000' },
    );
    expect(out).toMatchObject(ok);
    expect(seen).toHaveLength(3);
    for (const s of seen) {
      expect(s.headers[IDEMPOTENCY_HEADER.toLowerCase()]).toBe('cam-1-1700000000000');
      const form = await formOf(s);
      expect(form.get('idempotency_key')).toBe('cam-1-1700000000000');
      const file = form.get('video_data') as File;
      expect(Buffer.from(await file.arrayBuffer()).equals(clip)).toBe(true);
    }
  });

  it('makes up one idempotency key per alert call when none is given', async () => {
    const { url, seen } = await serve((_s, res, n) =>
      n === 1 ? reply(res, 503, { error: 'x', code: 'INTERNAL' }) : reply(res, 200, { success: true }),
    );
    await client(url).sendSecurityAlert({ analysis: 'x', use_server_buffer: true });
    const keys = seen.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(JSON.parse(seen[0]!.body.toString())).toMatchObject({ idempotency_key: keys[0], use_server_buffer: true });
  });

  it('turns a key the gateway would refuse into a stable digest instead of losing idempotency', async () => {
    const { url, seen } = await serve((_s, res) => reply(res, 200, { success: true }));
    const c = client(url);
    await c.sendSecurityAlert({ analysis: 'x' }, { idempotencyKey: 'cam:front.door-1700000000000' });
    await c.sendSecurityAlert({ analysis: 'x' }, { idempotencyKey: 'cam:front.door-1700000000000' });
    const [a, b] = seen.map((s) => String(s.headers['idempotency-key']));
    expect(a).toMatch(/^k-[0-9a-f]{40}$/);
    expect(b).toBe(a);
    expect(wireIdempotencyKey('cam-1-1700000000000')).toBe('cam-1-1700000000000');
  });

  it('resolves a 207 alert reply (not delivered) instead of throwing', async () => {
    const { url } = await serve((_s, res) => reply(res, 207, { success: false, status: 'failed', error: 'smtp down' }));
    const out = await client(url).sendSecurityAlert({ analysis: 'x' });
    expect(out).toMatchObject({ success: false, status: 'failed' });
  });

  it('sends frames as multipart: text fields plus one file part per frame, in order', async () => {
    const { url, seen } = await serve((_s, res) => reply(res, 200, { success: true, frames_processed: 3 }));
    const frames = [Buffer.from('jpeg-0'), Buffer.from('jpeg-1'), Buffer.from('jpeg-2')];
    await client(url).createVideoFromFrames({ frames, fps: 5, output_filename: 'out.mp4', video_format: null });
    const s = seen[0]!;
    expect(String(s.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    const form = await formOf(s);
    expect(form.get('fps')).toBe('5');
    expect(form.get('output_filename')).toBe('out.mp4');
    expect(form.has('video_format')).toBe(false); // null: the server's default
    const files = form.getAll('frames') as File[];
    expect(files.map((f) => f.name)).toEqual(['frame-0000.jpg', 'frame-0001.jpg', 'frame-0002.jpg']);
    expect(files.every((f) => f.type === 'image/jpeg')).toBe(true);
    expect(await Promise.all(files.map((f) => f.text()))).toEqual(['jpeg-0', 'jpeg-1', 'jpeg-2']);
  });

  it('sends base64 JSON when asked, with the earlier API field names', async () => {
    const { url, seen } = await serve((_s, res) => reply(res, 200, { success: true }));
    await client(url, { binaryEncoding: 'base64' }).analyzeFrame({
      frame: Buffer.from('jpeg'),
      frame_count: 7,
      buffer_type: 'short',
    });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({
      frame: Buffer.from('jpeg').toString('base64'),
      frame_count: 7,
      buffer_type: 'short',
    });
  });

  it('sends a frame batch as base64 JSON', async () => {
    const { url, seen } = await serve((_s, res) => reply(res, 200, { status: 'buffered', frames_added: 2 }));
    await client(url).addFramesBatch([
      { frame_data: Buffer.from('a'), frame_count: 1 },
      { frame_data: Buffer.from('b') },
    ]);
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({
      frames: [{ frame_data: 'YQ==', frame_count: 1 }, { frame_data: 'Yg==' }],
    });
  });

  it('falls back to base64 JSON on a route that answers 415 to multipart, and remembers it', async () => {
    const { url, seen } = await serve((s, res) =>
      String(s.headers['content-type']).startsWith('multipart/')
        ? reply(res, 415, { error: 'unsupported media type', code: 'UNSUPPORTED_FORMAT' })
        : reply(res, 200, { status: 'uploaded', success: true }),
    );
    const c = client(url);
    await c.uploadVideo({ video_data: Buffer.from('mp4'), video_filename: 'v.mp4' });
    await c.uploadVideo({ video_data: Buffer.from('mp4'), video_filename: 'v.mp4' });
    expect(seen.map((s) => String(s.headers['content-type']).split(';')[0])).toEqual([
      'multipart/form-data',
      'application/json',
      'application/json',
    ]);
    expect(JSON.parse(seen[2]!.body.toString())).toEqual({
      video_data: Buffer.from('mp4').toString('base64'),
      video_filename: 'v.mp4',
    });
  });

  it('streams a download with its content type and length', async () => {
    const video = Buffer.alloc(256 * 1024, 7);
    const { url, seen } = await serve((_s, res) => {
      res.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': String(video.length),
        'content-disposition': 'attachment; filename="clip.mp4"',
      });
      res.end(video);
    });
    const dl = await client(url).downloadVideo('vid/1');
    expect(seen[0]!.url).toBe('/api/video/download/vid%2F1');
    expect(dl).toMatchObject({ contentType: 'video/mp4', contentLength: video.length, filename: 'clip.mp4' });
    const chunks: Buffer[] = [];
    for await (const c of dl.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(video)).toBe(true);
  });

  it('keeps a base path and never writes the API key into its logs', async () => {
    const { url, seen } = await serve((_s, res, n) =>
      n === 1 ? reply(res, 503, { error: 'x', code: 'INTERNAL' }) : reply(res, 200, HEALTHY),
    );
    let logged = '';
    const destination = new Writable({ write: (c, _e, cb) => ((logged += String(c)), cb()) });
    const log = createLogger({ name: 'test', level: 'debug', destination });
    await client(`${url}/prefix`, { log }).getStorageStatus();
    expect(seen[1]!.url).toBe('/prefix/api/storage/status');
    expect(logged).toContain('api call failed, retrying');
    expect(logged).not.toContain(KEY);
  });
});
