import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '@vigint/db';
import { verifyWebhook } from '@vigint/notify';
import {
  startFakeGemini,
  startFakeNtfy,
  startFakeTelegram,
  startFakeWebhook,
  startSmtpServer,
  type FakeGemini,
  type FakeNtfy,
  type FakeTelegram,
  type FakeWebhook,
  type TestSmtpServer,
} from '@vigint/testing';
import type { IncidentRecord } from '@vigint/contracts';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg } from './media.fixtures';
import { startWorkerChild, workerEnvFor, type WorkerChild } from './worker.harness';

/*
 * The first notice in distributed mode, end to end: the agent's announce (POST /api/incidents, at confirm
 * time, with the snapshot) → NoticeSend job → the real worker → the client's ntfy topic, webhook and Telegram chat; then the
 * alert e-mail. Real gateway, worker, Redis and PostgreSQL; the push services are the strict local fakes.
 */

let h: Harness;
let worker: WorkerChild;
let gemini: FakeGemini;
let smtp: TestSmtpServer;
let ntfy: FakeNtfy;
let hook: FakeWebhook;
let telegram: FakeTelegram;
let db: Db;
let key: string;
let clientId: string;
const HOOK_SECRET = 'webhook-secret-0123456789';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
  });

const announce = (idempotencyKey: string, cameraId: string, snapshot?: Buffer) => ({
  idempotencyKey,
  cameraId,
  cameraName: `Camera ${cameraId}`,
  startedAt: new Date(Date.now() - 4_000).toISOString(),
  detectedAt: new Date().toISOString(),
  riskLevel: 'HIGH',
  incidentType: 'intrusion',
  summary: 'A person climbs the fence',
  ...(snapshot ? { snapshotJpeg: b64(snapshot) } : {}),
});

async function until<T>(read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [gemini, smtp, ntfy, hook, telegram] = await Promise.all([
    startFakeGemini(),
    startSmtpServer(),
    startFakeNtfy(),
    startFakeWebhook(),
    startFakeTelegram(),
  ]);
  h = await startGateway({ SYNC_WAIT_MS: '30000' });
  worker = await startWorkerChild({ ...workerEnvFor(h, gemini, smtp), TELEGRAM_API_BASE: telegram.url });
  const r = await h.app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN },
    payload: JSON.stringify({ name: 'depot', email: 'depot@example.com' }),
  });
  key = (r.json() as { api_key: string }).api_key;
  db = createDb(h.db.url);
  clientId = (await db.clients.findByEmail('depot@example.com'))!.id;
  await db.consoleSettings.update(clientId, {
    timeZone: 'Europe/Paris',
    channels: {
      ntfy: { server: ntfy.url, topic: 'depot-alerts' },
      webhook: { url: hook.url, secret: HOOK_SECRET },
      telegram: { botToken: telegram.token, chatId: telegram.chatId },
    },
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await db?.close();
  await h?.close();
  await Promise.allSettled([gemini?.close(), smtp?.stop(), ntfy?.stop(), hook?.stop(), telegram?.stop()]);
});

describe('first notice through the gateway and the worker', () => {
  it('notifies once per incident on each channel, with the snapshot, before the e-mail', async () => {
    const snapshot = await jpeg(640, 360);
    const incidentKey = `yard-${Date.now()}`;
    const first = await post('/api/incidents', announce(incidentKey, 'yard', snapshot));
    expect(first.statusCode, first.body).toBe(200);
    const incident = first.json() as IncidentRecord;
    // The alert follows at once (a short post-roll): the notice must still be out first.
    const order: string[] = [];
    const mailsBefore = smtp.messages.length;
    const notified = ntfy.waitForMessages(1, 20_000).then(() => order.push('notice'));
    const mailed = smtp.waitForMessages(mailsBefore + 1, 30_000).then(() => order.push('email'));
    const alert = await post(
      '/api/video/alert',
      {
        analysis: 'A person climbs the fence',
        risk_level: 'HIGH',
        incident_type: 'intrusion',
        client_id: 'yard',
        camera_name: 'Camera yard',
        use_server_buffer: false,
      },
      { 'idempotency-key': incidentKey },
    );
    expect(alert.statusCode, alert.body).toBe(200);
    await Promise.all([notified, mailed, hook.waitForDeliveries(1, 20_000), telegram.waitForSent(1, 20_000)]);
    expect(order).toEqual(['notice', 'email']);

    const [push] = ntfy.messages;
    expect(push).toMatchObject({ topic: 'depot-alerts', title: 'HIGH · Camera yard: intrusion', priority: 5 });
    expect(push!.message).toContain('A person climbs the fence');
    expect(push!.attachment?.type).toBe('image/jpeg');
    // Tapping opens the incident in the console; the buttons act through signed links.
    expect(push!.click).toMatch(/^http:\/\/gateway\.test\/console\/act\//);
    expect(push!.actions.map((a) => a.label)).toEqual(expect.arrayContaining(['Acknowledge', 'Snooze 15 min']));

    // Telegram: the snapshot as a photo in the client's chat, the summary in its caption.
    expect(telegram.sent[0]).toMatchObject({ method: 'sendPhoto', chatId: telegram.chatId });
    expect(telegram.sent[0]!.text).toContain('A person climbs the fence');
    expect(telegram.sent[0]!.photo?.type).toBe('image/jpeg');

    const delivery = hook.deliveries[0]!;
    expect(verifyWebhook(HOOK_SECRET, String(delivery.headers['x-vigint-signature']), delivery.body).valid).toBe(true);
    const body = JSON.parse(delivery.body) as { data: { incident_id: string; snapshot_jpeg_base64: string | null } };
    expect(body.data.incident_id).toBe(incident.id);
    expect(Buffer.from(body.data.snapshot_jpeg_base64!, 'base64').subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    // The agent retries its announce (a lost reply): same record, no second notice anywhere.
    const again = await post('/api/incidents', announce(incidentKey, 'yard', snapshot));
    expect((again.json() as IncidentRecord).id).toBe(incident.id);
    // A second incident, to know the worker has run past anything the repeat could have queued.
    // This camera's language is set in the agent's config: its notice is French, the client's English.
    await post('/api/incidents', { ...announce(`gate-${Date.now()}`, 'gate'), language: 'fr' });
    await ntfy.waitForMessages(2, 20_000);
    await hook.waitForDeliveries(2, 20_000);
    await telegram.waitForSent(2, 20_000);
    expect(ntfy.messages.filter((m) => m.title?.includes('Camera yard'))).toHaveLength(1);
    expect(telegram.sent.filter((m) => m.text.includes('Camera yard'))).toHaveLength(1);
    expect(ntfy.messages.find((m) => m.title?.includes('Camera gate'))?.title).toBe('HIGH · Camera gate : intrusion');
    expect(hook.requests.filter((r) => r.body.includes(incident.id))).toHaveLength(1);

    // The delivery log: one row per channel, sent, and the incident's log names both channels.
    const rows = await until(async () => {
      const list = await db.noticeDeliveries.listForIncident(clientId, incident.id);
      return list.length === 3 && list.every((x) => x.status !== 'sending') ? list : undefined;
    });
    expect(rows.map((r) => [r.channel, r.status]).sort()).toEqual([
      ['ntfy', 'sent'],
      ['telegram', 'sent'],
      ['webhook', 'sent'],
    ]);
    const rec = (await h.app.inject({ url: `/api/incidents/${incident.id}`, headers: { 'x-api-key': key } })).json();
    const channels = (rec as IncidentRecord).deliveries.map((d) => d.channel);
    expect(channels).toEqual(expect.arrayContaining(['ntfy', 'webhook', 'telegram', 'email']));
  }, 90_000);

  it('retries a channel that fails for a while without notifying twice on the one that worked', async () => {
    const pushesBefore = ntfy.messages.length;
    const hooksBefore = hook.requests.length;
    // More 503s than the adapter's own attempts: the job fails once and BullMQ's backoff tries again.
    hook.failNext(4, 503);
    const incidentKey = `porch-${Date.now()}`;
    const r = await post('/api/incidents', announce(incidentKey, 'porch'));
    expect(r.statusCode, r.body).toBe(200);
    const incident = r.json() as IncidentRecord;
    const deliveriesBefore = hook.deliveries.length;
    await hook.waitForDeliveries(deliveriesBefore + 1, 60_000);
    await ntfy.waitForMessages(pushesBefore + 1, 20_000);
    expect(ntfy.messages.length).toBe(pushesBefore + 1);
    expect(hook.requests.length - hooksBefore).toBe(5);
    // The row is finished just after the receiver answered.
    const rows = await until(async () => {
      const list = await db.noticeDeliveries.listForIncident(clientId, incident.id);
      return list.length === 3 && list.every((x) => x.status !== 'sending') ? list : undefined;
    });
    const webhook = rows.find((x) => x.channel === 'webhook')!;
    expect(webhook).toMatchObject({ status: 'sent', attempts: 5 });
    expect(rows.find((x) => x.channel === 'ntfy')).toMatchObject({ status: 'sent', attempts: 1 });
  }, 90_000);

  it('the e-mail acts without signing in; a snoozed camera records its incidents but sends nothing', async () => {
    const beat = await post('/api/cameras/heartbeat', {
      cameras: [{ id: 'shed', name: 'Camera shed', state: 'live', lastFrameAt: new Date().toISOString() }],
    });
    expect(beat.statusCode, beat.body).toBe(200);
    const alertBody = {
      analysis: 'A person forces the shed door',
      risk_level: 'HIGH',
      incident_type: 'intrusion',
      client_id: 'shed',
      camera_name: 'Camera shed',
      use_server_buffer: false,
    };
    const k1 = `shed-${Date.now()}`;
    const first = (await post('/api/incidents', announce(k1, 'shed'))).json() as IncidentRecord;
    const mailsBefore = smtp.messages.length;
    expect((await post('/api/video/alert', alertBody, { 'idempotency-key': k1 })).statusCode).toBe(200);
    const mail = (await smtp.waitForMessages(mailsBefore + 1, 20_000)).at(-1)!;
    const links = [...String(mail.parsed.text).matchAll(/http:\/\/gateway\.test(\/console\/act\/[\w.-]+)/g)].map(
      (m) => m[1]!,
    );
    expect(links).toHaveLength(4);
    expect(mail.parsed.html).toContain(`href="http://gateway.test${links[1]}"`);
    const [, ack, snooze15] = links;
    // A mail scanner's GET changes nothing; the POST (the page's button, or ntfy's action) acts.
    expect((await h.app.inject({ url: ack! })).statusCode).toBe(200);
    const get = () => h.app.inject({ url: `/api/incidents/${first.id}`, headers: { 'x-api-key': key } });
    expect(((await get()).json() as IncidentRecord).acknowledgedAt).toBeNull();
    expect((await h.app.inject({ method: 'POST', url: ack! })).statusCode).toBe(200);
    expect(((await get()).json() as IncidentRecord).acknowledgedAt).not.toBeNull();
    expect((await h.app.inject({ method: 'POST', url: snooze15! })).statusCode).toBe(200);

    // Snoozed: the next incident is recorded and listed, but no notice and no e-mail go.
    const pushes = ntfy.messages.length;
    const mails = smtp.messages.length;
    const k2 = `shed-${Date.now() + 1}`;
    const second = (await post('/api/incidents', announce(k2, 'shed'))).json() as IncidentRecord;
    const alert = await post('/api/video/alert', alertBody, { 'idempotency-key': k2 });
    expect(alert.statusCode, alert.body).toBe(200);
    expect(alert.json()).toMatchObject({ status: 'suppressed' });
    const job = await until(async () => {
      const j = await h.app.svc.queue.getJob(`notice-${clientId}-${second.id}`);
      return j?.state === 'completed' ? j : undefined;
    });
    expect(job.result).toMatchObject({ skipped: 'snoozed', outcomes: [] });
    expect(ntfy.messages.length).toBe(pushes);
    expect(smtp.messages.length).toBe(mails);
    const rec = (await get()).json() as IncidentRecord;
    expect(rec.id).toBe(first.id);
    const listed = (
      await h.app.inject({ url: '/api/incidents?camera=shed', headers: { 'x-api-key': key } })
    ).json() as { incidents: IncidentRecord[] };
    const snoozed = listed.incidents.find((i) => i.id === second.id)!;
    expect(snoozed.deliveries).toEqual([
      expect.objectContaining({
        channel: 'email',
        status: 'suppressed',
        detail: expect.stringMatching(/snoozed until/),
      }),
    ]);
  }, 90_000);
});
