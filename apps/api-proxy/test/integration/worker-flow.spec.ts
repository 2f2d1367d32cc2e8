import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { geminiReply, startFakeGemini, startSmtpServer, type FakeGemini, type TestSmtpServer } from '@vigint/testing';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg, mp4, probeVideo } from './media.fixtures';
import { startWorkerChild, workerEnvFor, type WorkerChild } from './worker.harness';

let h: Harness;
let worker: WorkerChild;
let gemini: FakeGemini;
let smtp: TestSmtpServer;
let key: string;
let keyB: string;

const post = (url: string, body: unknown, k = key, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-api-key': k, ...headers },
  });

beforeAll(async () => {
  gemini = await startFakeGemini();
  smtp = await startSmtpServer();
  h = await startGateway({ SYNC_WAIT_MS: '45000' });
  worker = await startWorkerChild(workerEnvFor(h, gemini, smtp));
  const mk = async (name: string) =>
    (await post('/admin/clients', { name, email: `${name}@example.com` }, '', { 'x-admin-key': ADMIN })).json() as {
      api_key: string;
    };
  key = (await mk('shop')).api_key;
  keyB = (await mk('office')).api_key;
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await gemini?.close();
  await smtp?.stop();
});

describe('with the real worker', () => {
  it('analyze a frame: HIGH-risk incident with the earlier and seed fields, tokens counted', async () => {
    gemini.reset();
    gemini.setDefault(geminiReply.incident());
    const r = await post('/api/video/analyze', {
      frame: b64(await jpeg(640, 480)),
      frame_count: 1,
      buffer_type: 'short',
    });
    expect(r.statusCode, r.body).toBe(200);
    const a = r.json();
    expect(a).toMatchObject({
      has_security_incident: true,
      incident_detected: true,
      incident: true,
      risk_level: 'HIGH',
      incident_type: 'intrusion',
      client_email: 'shop@example.com',
    });
    expect(typeof a.analysis).toBe('string');
    expect(a.token_usage.total_tokens).toBeGreaterThan(0);
    expect(gemini.requestCount).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 300));
    const u = (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': key } })).json();
    const day = u.daily.find((d: { endpoint: string }) => d.endpoint === '/api/video/analyze');
    expect(day.ai_requests).toBeGreaterThan(0);
    expect(day.ai_tokens).toBeGreaterThan(0);
    expect(day.cost).toBeGreaterThan(0);
  }, 60_000);

  it("the agent's prepared frames go to the model as sent and stay out of the client's buffer", async () => {
    const fresh = (
      await post('/admin/clients', { name: 'agent', email: 'agent@example.com' }, '', { 'x-admin-key': ADMIN })
    ).json().api_key as string;
    gemini.reset();
    gemini.setDefault(geminiReply.incident());
    const screen = await Promise.all([10, 20, 30].map((v) => jpeg(320, 240, v)));
    const confirm = await Promise.all([40, 50, 60, 70, 80, 90].map((v) => jpeg(320, 240, v)));
    const r = await post(
      '/api/video/analyze',
      { frames: screen.map(b64), confirm_frames: confirm.map(b64), frame_count: 4, buffer_type: 'short' },
      fresh,
    );
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ incident: true, frame_count: 4 });
    // Screening on the 3 screening frames, confirming on the 6 confirming ones, the bytes untouched.
    expect(gemini.requests.map((q) => q.images.map((i) => i.data))).toEqual([screen, confirm]);
    // Nothing was buffered: an earlier client's "analyze what I last sent" finds nothing.
    const again = await post('/api/video/analyze', { frame: null }, fresh);
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json().code).toBe(ErrorCode.NothingBuffered);
    // An earlier client's frame still feeds the buffer.
    expect((await post('/api/video/analyze', { frame: b64(screen[0]!) }, fresh)).statusCode).toBe(200);
    expect((await post('/api/video/analyze', { frame: null }, fresh)).statusCode).toBe(200);
  }, 60_000);

  it("a finished job's own frames leave the client's frame quota at once; frames a buffer points at stay", async () => {
    const k = (
      await post('/admin/clients', { name: 'quota', email: 'quota@example.com' }, '', { 'x-admin-key': ADMIN })
    ).json().api_key as string;
    const id = (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': k } })).json()
      .client_id as string;
    // The worker settles a job just after it completes: wait (bounded) for the quota to reach `blobs`.
    const usageReaches = async (blobs: number) => {
      for (let i = 0; i < 100 && (await h.app.svc.blobs.usage(id)).blobs !== blobs; i++) {
        await new Promise((res) => setTimeout(res, 100));
      }
      return (await h.app.svc.blobs.usage(id)).blobs;
    };
    const frames = await Promise.all([10, 20, 30].map((v) => jpeg(320, 240, v)));
    const created = await post('/api/video/create', { frames: frames.map(b64), fps: 5 }, k);
    expect(created.statusCode, created.body).toBe(200);
    expect(await usageReaches(0)).toBe(0);
    gemini.reset();
    gemini.setDefault(geminiReply.incident());
    const prepared = await post(
      '/api/video/analyze',
      { frames: frames.map(b64), confirm_frames: frames.map(b64), buffer_type: 'short' },
      k,
    );
    expect(prepared.statusCode, prepared.body).toBe(200);
    expect(await usageReaches(0)).toBe(0);
    // Buffered frames: the buffer still points at them after the job, so they stay (and count).
    for (const f of frames) expect((await post('/api/video/buffer', { frame_data: b64(f) }, k)).statusCode).toBe(200);
    const buffered = await post('/api/video/analyze', { frame: null, buffer_type: 'short' }, k);
    expect(buffered.statusCode, buffered.body).toBe(200);
    await new Promise((res) => setTimeout(res, 500));
    expect((await h.app.svc.blobs.usage(id)).blobs).toBe(3);
    expect((await post('/api/video/analyze', { frame: null }, k)).statusCode).toBe(200);
  }, 60_000);

  it('a re-sent alert (same Idempotency-Key) answers as the original did, one e-mail, and takes no alert quota', async () => {
    const k = (
      await post('/admin/clients', { name: 'replay', email: 'replay@example.com' }, '', { 'x-admin-key': ADMIN })
    ).json().api_key as string;
    const id = (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': k } })).json()
      .client_id as string;
    const before = smtp.messages.length;
    const body = { analysis: 'Person at the gate', risk_level: 'HIGH', client_id: 'gate', use_server_buffer: false };
    const first = await post('/api/video/alert', body, k, { 'idempotency-key': 'gate-replay-0001' });
    expect(first.statusCode, first.body).toBe(200);
    const again = await post('/api/video/alert', body, k, { 'idempotency-key': 'gate-replay-0001' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(first.json()).toMatchObject({ success: true, status: 'delivered' });
    await smtp.waitForMessages(before + 1, 10_000);
    await new Promise((res) => setTimeout(res, 300));
    expect(smtp.messages.length).toBe(before + 1);
    expect(await h.app.svc.queue.connection.get(`${h.prefix}:limit:alerts:${id}`)).toBe('1');
  }, 60_000);

  it('create: a playable H.264 video with every frame, downloadable by its client only', async () => {
    const frames = await Promise.all(Array.from({ length: 20 }, (_, i) => jpeg(320, 240, i * 10)));
    const r = await post('/api/video/create', {
      frames: frames.map(b64),
      fps: null,
      video_format: null,
      output_filename: 'out.mp4',
    });
    expect(r.statusCode, r.body).toBe(200);
    const c = r.json();
    expect(c).toMatchObject({ success: true, frames_processed: 20, resolution: '320x240' });
    expect(c.duration_seconds).toBeCloseTo(0.8, 1);
    expect(c.download_url).toBe(`/api/video/download/${c.download_id}`);
    const info = await probeVideo(Buffer.from(c.video_data, 'base64'));
    expect(info.codec).toBe('h264');
    expect(info.frames).toBe(20);
    const dl = await h.app.inject({ method: 'GET', url: c.download_url, headers: { 'x-api-key': key } });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.equals(Buffer.from(c.video_data, 'base64'))).toBe(true);
    expect(
      (await h.app.inject({ method: 'GET', url: c.download_url, headers: { 'x-api-key': keyB } })).statusCode,
    ).toBe(404);
  }, 60_000);

  it('compress: a 12 s clip under max_size_mb 2, still 12 s long, real byte counts', async () => {
    const big = await mp4(12, '1280x720', ['-vf', 'noise=alls=60:allf=t', '-b:v', '3M']);
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    const r = await post('/api/video/compress', { video_data: b64(big), filename: 'big.mp4', max_size_mb: 2 });
    expect(r.statusCode, r.body).toBe(200);
    const c = r.json();
    expect(c.original_size).toBe(big.length);
    expect(c.compressed_size).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(c.compression_ratio).toBeCloseTo(c.compressed_size / c.original_size, 3);
    const out = Buffer.from(c.video_data, 'base64');
    expect(out.length).toBe(c.compressed_size);
    expect((await probeVideo(out)).duration).toBeCloseTo(12, 0);
  }, 120_000);

  it("the earlier client's flow: upload → analyze with frame null → alert with use_server_buffer", async () => {
    gemini.reset();
    gemini.setDefault(geminiReply.incident());
    const up = await post('/api/video/upload', { video_data: b64(await mp4(3)), video_filename: 'incident.mp4' });
    expect(up.statusCode, up.body).toBe(200);
    const an = await post('/api/video/analyze', { frame: null, frame_count: 75, buffer_type: 'long' });
    expect(an.statusCode, an.body).toBe(200);
    expect(an.json().has_security_incident).toBe(true);
    const before = smtp.messages.length;
    const al = await post('/api/video/alert', {
      analysis: an.json().analysis,
      risk_level: an.json().risk_level,
      client_id: 'Front door',
      use_server_buffer: true,
      incident_type: 'intrusion',
    });
    expect(al.statusCode, al.body).toBe(200);
    const a = al.json();
    expect(a).toMatchObject({
      success: true,
      status: 'delivered',
      to: 'shop@example.com',
      client_name: 'shop',
      risk_level: 'HIGH',
    });
    expect(a.email_delivery.success).toBe(true);
    expect(a.video_link.available).toBe(true);
    expect(a.video_link.video_url).toMatch(/\/video\/.+\?token=/);
    const mails = await smtp.waitForMessages(before + 1, 10_000);
    const mail = mails[mails.length - 1]!;
    expect(mail.envelope.to).toContain('shop@example.com');
    expect(mail.parsed.attachments.some((x) => x.contentType === 'video/mp4')).toBe(true);
    // One link builder: the e-mail carries the very link the reply gives.
    expect(mail.parsed.text).toContain(a.video_link.video_url);
    // One e-mail counts as one alert in usage (the worker counts it; the gateway no longer adds its own).
    await new Promise((res) => setTimeout(res, 300));
    const usage = (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': key } })).json();
    const alertsToday = usage.daily
      .filter((d: { endpoint: string }) => /alert/.test(d.endpoint))
      .reduce((n: number, d: { alerts: number }) => n + d.alerts, 0);
    expect(alertsToday).toBe(1);
    // The alert is on record with its delivery, though the earlier client never announced it.
    const listed = (await h.app.inject({ method: 'GET', url: '/api/incidents', headers: { 'x-api-key': key } })).json();
    expect(listed.incidents[0]).toMatchObject({
      cameraId: 'Front door',
      status: 'closed',
      deliveries: [{ channel: 'email', status: 'sent' }],
    });

    // The link works without a key (the e-mail reader's browser).
    const link = new URL(a.video_link.video_url);
    const page = await h.app.inject({ method: 'GET', url: link.pathname + link.search });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<video');
    const tampered = await h.app.inject({ method: 'GET', url: `${link.pathname}?token=1.${'A'.repeat(43)}` });
    expect(tampered.statusCode).toBe(404);
  }, 90_000);

  it('async mode: 202, then /api/jobs/:id gives the same reply once done', async () => {
    gemini.setDefault(geminiReply.noIncident());
    const r = await post('/api/video/analyze', { frame: b64(await jpeg()) }, key, { prefer: 'respond-async' });
    expect(r.statusCode).toBe(202);
    const { status_url } = r.json();
    let body: { state: string; result?: { has_security_incident: boolean } } = { state: 'waiting' };
    for (let i = 0; i < 60 && body.state !== 'completed' && body.state !== 'failed'; i++) {
      await new Promise((res) => setTimeout(res, 500));
      body = (await h.app.inject({ method: 'GET', url: status_url, headers: { 'x-api-key': key } })).json();
    }
    expect(body.state).toBe('completed');
    expect(body.result?.has_security_incident).toBe(false);
    expect((await h.app.inject({ method: 'GET', url: status_url, headers: { 'x-api-key': keyB } })).statusCode).toBe(
      404,
    );
  }, 60_000);

  it('multi-source analyze: one result per source and the summary', async () => {
    gemini.reset();
    gemini.setDefault(geminiReply.noIncident());
    for (const s of ['cam-a', 'cam-b']) {
      const r = await post(
        '/api/video/multi-source/buffer',
        { frame_data: b64(await jpeg()), source_id: s, source_name: s.toUpperCase() },
        keyB,
      );
      expect(r.statusCode).toBe(200);
    }
    const r = await post('/api/video/multi-source/analyze', {}, keyB);
    expect(r.statusCode, r.body).toBe(200);
    const m = r.json();
    expect(Object.keys(m.sources).sort()).toEqual(['cam-a', 'cam-b']);
    expect(m.summary).toMatchObject({ total_sources: 2, has_any_confirmed_incident: false });
  }, 60_000);

  it('storage cleanup runs through the worker', async () => {
    const r = await post('/api/storage/cleanup', { type: 'all', max_age_hours: 0 }, keyB);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ success: true, cleanup_type: 'all' });
    expect(r.json().cleanup_result.total).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('alert not out within the wait bound → 207 success false, status queued; delivered once SMTP is back', async () => {
    const quick = await startGateway(
      { SYNC_WAIT_MS: '2500' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      await smtp.down();
      const before = smtp.messages.length;
      const r = await quick.app.inject({
        method: 'POST',
        url: '/api/video/alert',
        payload: JSON.stringify({
          analysis: 'Person at the back door',
          risk_level: 'HIGH',
          client_id: 'Back door',
          use_server_buffer: false,
        }),
        headers: { 'content-type': 'application/json', 'x-api-key': keyB },
      });
      expect(r.statusCode, r.body).toBe(207);
      expect(r.json()).toMatchObject({
        success: false,
        status: 'queued',
        to: 'office@example.com',
        error: expect.any(String),
      });
      await smtp.up();
      const mails = await smtp.waitForMessages(before + 1, 40_000);
      expect(mails[mails.length - 1]!.envelope.to).toContain('office@example.com');
    } finally {
      if (!smtp.isUp) await smtp.up();
      await quick.close();
    }
  }, 90_000);

  it('a permanent error found by the worker comes back as the same 4xx (frames expired from Redis)', async () => {
    const erin = (
      await post('/admin/clients', { name: 'erin', email: 'erin@example.com' }, '', { 'x-admin-key': ADMIN })
    ).json().api_key as string;
    expect((await post('/api/video/buffer', { frame_data: b64(await jpeg()) }, erin)).statusCode).toBe(200);
    const { Redis } = await import('ioredis');
    const redis = new Redis(h.config.REDIS_URL);
    try {
      const blobs = await redis.keys(`${h.prefix}:blob:*`);
      if (blobs.length) await redis.del(...blobs);
    } finally {
      redis.disconnect();
    }
    const r = await post('/api/video/analyze', {}, erin);
    expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
    expect(r.statusCode).toBeLessThan(500);
    expect([ErrorCode.NotFound, ErrorCode.NothingBuffered]).toContain(r.json().code);
  }, 60_000);

  it('an alert with a broken video_data is a 4xx, not a 500', async () => {
    const r = await post('/api/video/alert', { analysis: 'x', risk_level: 'extreme', client_id: 'cam' });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: ErrorCode.ValidationFailed, field: 'risk_level' });
    const v = await post('/api/video/alert', {
      analysis: 'x',
      risk_level: 'high',
      video_data: b64(Buffer.from('not a video')),
    });
    expect(v.statusCode).toBe(422);
    expect(v.json().code).toBe(ErrorCode.InvalidVideo);
  });

  it("admin erase deletes one client's stored videos and leaves the other client's alone", async () => {
    const make = async (k: string) => {
      const frames = await Promise.all(Array.from({ length: 5 }, (_, i) => jpeg(160, 120, i * 20)));
      const r = await post('/api/video/create', { frames: frames.map(b64), fps: 5, video_format: 'mp4' }, k);
      expect(r.statusCode, r.body).toBe(200);
      return r.json().download_url as string;
    };
    const erinUrl = await make(keyB);
    const shopUrl = await make(key);
    const clients = (
      await h.app.inject({ method: 'GET', url: '/admin/clients', headers: { 'x-admin-key': ADMIN } })
    ).json().clients as { id: string; name: string }[];
    const office = clients.find((c) => c.name === 'office')!;
    // Client keys are not admin keys.
    expect((await post(`/admin/clients/${office.id}/erase`, {}, '', { 'x-admin-key': keyB })).statusCode).toBe(401);
    expect((await post('/admin/clients/999999/erase', {}, '', { 'x-admin-key': ADMIN })).statusCode).toBe(404);
    const r = await post(`/admin/clients/${office.id}/erase`, {}, '', { 'x-admin-key': ADMIN });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ success: true, client_id: office.id, client_name: 'office' });
    expect(r.json().erase_result.cleaned).toBeGreaterThanOrEqual(1);
    expect(r.json().erase_result.failed).toBe(0);
    const get = (url: string, k: string) => h.app.inject({ method: 'GET', url, headers: { 'x-api-key': k } });
    expect((await get(erinUrl, keyB)).statusCode).toBe(404);
    expect((await get(shopUrl, key)).statusCode).toBe(200);
  }, 60_000);
});
