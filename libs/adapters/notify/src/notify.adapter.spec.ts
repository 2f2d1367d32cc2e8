import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startFakeNtfy,
  startFakeTelegram,
  startFakeWebhook,
  type FakeNtfy,
  type FakeTelegram,
  type FakeWebhook,
} from '@vigint/testing';
import sharp from 'sharp';
import { MemoryNoticeLedger } from './memory-notice.ledger';
import { ChannelKind, type Notice } from './notice.types';
import { NotifyAdapter } from './notify.adapter';
import { verifyWebhook } from './webhook-signature';

const noWait = async () => undefined;
const links = {
  open: 'https://vigint.example/console/incidents/abc',
  acknowledge: 'https://vigint.example/console/act/ack.tok',
  snooze15: 'https://vigint.example/console/act/s15.tok',
  snooze60: 'https://vigint.example/console/act/s60.tok',
};

function notice(key: string, extra: Partial<Notice> = {}): Notice {
  return {
    idempotencyKey: key,
    incidentId: `inc-${key}`,
    event: 'incident.detected',
    title: 'HIGH · Entrée: intrusion',
    text: 'Une personne escalade la clôture — caméra Entrée, 21:04',
    cameraName: 'Entrée',
    riskLevel: 'HIGH',
    incidentType: 'intrusion',
    occurredAt: new Date('2026-12-01T21:04:00Z'),
    priority: 5,
    links,
    ...extra,
  };
}

let jpeg: Buffer;
let hook: FakeWebhook;
let ntfy: FakeNtfy;
let tg: FakeTelegram;
beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#884422' } })
    .jpeg()
    .toBuffer();
  [hook, ntfy, tg] = await Promise.all([startFakeWebhook(), startFakeNtfy({ token: 'tk_test' }), startFakeTelegram()]);
});
afterAll(async () => {
  await Promise.all([hook?.stop(), ntfy?.stop(), tg?.stop()]);
});

describe('webhook channel', () => {
  const secret = 'whsec-test-secret';

  it('signs timestamp + body with HMAC-SHA256 so the receiver can verify it', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Webhook, url: hook.url, secret },
      notice('w1', { snapshot: jpeg }),
      new MemoryNoticeLedger(),
    );
    expect(out.status).toBe('sent');
    const req = hook.requests.at(-1)!;
    const header = String(req.headers['x-vigint-signature']);
    expect(verifyWebhook(secret, header, req.body).valid).toBe(true);
    // Another secret, or one changed byte of the body, fails the check.
    expect(verifyWebhook('other-secret', header, req.body).valid).toBe(false);
    expect(verifyWebhook(secret, header, req.body.replace('HIGH', 'LOW!')).reason).toBe('bad_signature');
    const body = JSON.parse(req.body) as { type: string; data: { snapshot_jpeg_base64: string; links: object } };
    expect(body.type).toBe('incident.detected');
    expect(Buffer.from(body.data.snapshot_jpeg_base64, 'base64').equals(jpeg)).toBe(true);
    expect(body.data.links).toEqual(links);
    expect(req.headers['idempotency-key']).toBe('w1.webhook');
  });

  it('refuses a signature older than the tolerance (replay)', () => {
    const t = Math.floor(Date.now() / 1000) - 3600;
    const body = '{}';
    const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(verifyWebhook(secret, `t=${t},v1=${mac}`, body).reason).toBe('too_old');
  });

  it('retries 5xx with backoff, logging each attempt, then delivers', async () => {
    const waits: number[] = [];
    const adapter = new NotifyAdapter({ sleep: async (ms) => void waits.push(ms), baseDelayMs: 100 });
    const ledger = new MemoryNoticeLedger();
    hook.failNext(2, 503);
    const before = hook.requests.length;
    const out = await adapter.send({ kind: ChannelKind.Webhook, url: hook.url, secret }, notice('w2'), ledger);
    expect(out).toMatchObject({ status: 'sent', attempts: 3, httpStatus: 200 });
    expect(hook.requests.length - before).toBe(3);
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
    expect(ledger.attemptsFor('inc-w2').map((a) => [a.attempt, a.ok, a.httpStatus])).toEqual([
      [1, false, 503],
      [2, false, 503],
      [3, true, 200],
    ]);
  });

  it('sends one delivery per idempotency key, however often it is asked', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const ledger = new MemoryNoticeLedger();
    const ch = { kind: ChannelKind.Webhook as const, url: hook.url, secret };
    const before = hook.requests.length;
    const outs = await Promise.all([1, 2, 3].map(() => adapter.send(ch, notice('w3'), ledger)));
    expect(outs.map((o) => o.status).sort()).toEqual(['duplicate', 'duplicate', 'sent']);
    expect(hook.requests.length - before).toBe(1);
  });

  it('does not retry a 4xx refusal', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    hook.failNext(1, 410);
    const before = hook.requests.length;
    const out = await adapter.send(
      { kind: ChannelKind.Webhook, url: hook.url, secret },
      notice('w4'),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 410, retryable: false });
    expect(hook.requests.length - before).toBe(1);
  });

  it('gives up after maxAttempts when the receiver is down', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait, maxAttempts: 3 });
    const out = await adapter.send(
      { kind: ChannelKind.Webhook, url: 'http://127.0.0.1:1/nothing', secret },
      notice('w5'),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'failed', attempts: 3, retryable: true });
  });
});

describe('ntfy channel', () => {
  it('pushes the snapshot as an attachment with title, message (UTF-8), click and action buttons', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Ntfy, server: ntfy.url, topic: 'vigint-site-1', token: 'tk_test' },
      notice('n1', { snapshot: jpeg }),
      new MemoryNoticeLedger(),
    );
    expect(out.status).toBe('sent');
    const m = ntfy.messages.at(-1)!;
    expect(m).toMatchObject({
      topic: 'vigint-site-1',
      title: 'HIGH · Entrée: intrusion',
      message: 'Une personne escalade la clôture — caméra Entrée, 21:04',
      priority: 5,
      click: links.open,
      attachment: { name: 'snapshot.jpg', type: 'image/jpeg', size: jpeg.length },
    });
    expect(m.actions.map((a) => [a.action, a.url, a.method])).toEqual([
      ['http', links.acknowledge, 'POST'],
      ['http', links.snooze15, 'POST'],
      ['http', links.snooze60, 'POST'],
    ]);
  });

  it('publishes JSON when there is no snapshot', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Ntfy, server: ntfy.url, topic: 'vigint-site-1', token: 'tk_test' },
      notice('n2'),
      new MemoryNoticeLedger(),
    );
    expect(out.status).toBe('sent');
    expect(ntfy.messages.at(-1)).toMatchObject({ title: 'HIGH · Entrée: intrusion', click: links.open });
  });

  it("reports ntfy's own error for a refused request, without retrying", async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const bad = await adapter.send(
      { kind: ChannelKind.Ntfy, server: ntfy.url, topic: 'vigint-site-1', token: 'wrong' },
      notice('n3'),
      new MemoryNoticeLedger(),
    );
    expect(bad).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 401 });
    expect(bad.error).toContain('40101');
  });

  it('retries a 503 and delivers once', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    ntfy.failNext(1, 503);
    const before = ntfy.messages.length;
    const out = await adapter.send(
      { kind: ChannelKind.Ntfy, server: ntfy.url, topic: 'vigint-site-1', token: 'tk_test' },
      notice('n4'),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'sent', attempts: 2 });
    expect(ntfy.messages.length - before).toBe(1);
  });
});

describe('Telegram channel', () => {
  it('sends the snapshot with sendPhoto, an HTML caption with the links, and inline buttons', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Telegram, botToken: tg.token, chatId: tg.chatId, apiBase: tg.url },
      notice('t1', { snapshot: jpeg, text: 'a <b>bold</b> & plain summary' }),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'sent', httpStatus: 200 });
    const s = tg.sent.at(-1)!;
    expect(s.method).toBe('sendPhoto');
    expect(s.photo).toMatchObject({ bytes: jpeg.length, type: 'image/jpeg' });
    expect(s.text).toContain('a &lt;b&gt;bold&lt;/b&gt; &amp; plain summary');
    expect(s.text).toContain(`href="${links.acknowledge}"`);
    expect(JSON.stringify(s.replyMarkup)).toContain(links.snooze60);
  });

  it('uses sendMessage without a snapshot, and keeps local links out of buttons (Telegram refuses them)', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const local = {
      open: 'http://127.0.0.1:5000/console/incidents/x',
      acknowledge: 'http://127.0.0.1:5000/console/act/a',
      snooze15: 'http://127.0.0.1:5000/console/act/b',
      snooze60: 'http://127.0.0.1:5000/console/act/c',
    };
    const out = await adapter.send(
      { kind: ChannelKind.Telegram, botToken: tg.token, chatId: tg.chatId, apiBase: tg.url },
      notice('t2', { links: local }),
      new MemoryNoticeLedger(),
    );
    expect(out.status).toBe('sent');
    expect(tg.sent.at(-1)).toMatchObject({ method: 'sendMessage', replyMarkup: undefined });
  });

  it('fits a long summary under the 1024-character caption limit', async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Telegram, botToken: tg.token, chatId: tg.chatId, apiBase: tg.url },
      notice('t3', { snapshot: jpeg, text: 'x'.repeat(3000) }),
      new MemoryNoticeLedger(),
    );
    expect(out.error).toBeUndefined();
    expect(out.status).toBe('sent');
    expect(tg.sent.at(-1)!.text).toContain('…');
  });

  it("reads Telegram's {ok:false, error_code, description}: a wrong chat is not retried", async () => {
    const adapter = new NotifyAdapter({ sleep: noWait });
    const out = await adapter.send(
      { kind: ChannelKind.Telegram, botToken: tg.token, chatId: '999', apiBase: tg.url },
      notice('t4'),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'failed', attempts: 1, httpStatus: 400, retryable: false });
    expect(out.error).toBe('telegram 400: Bad Request: chat not found');
  });

  it('waits retry_after on 429 and then delivers', async () => {
    const waits: number[] = [];
    const adapter = new NotifyAdapter({ sleep: async (ms) => void waits.push(ms), baseDelayMs: 10 });
    tg.failNext(1, 429, 3);
    const out = await adapter.send(
      { kind: ChannelKind.Telegram, botToken: tg.token, chatId: tg.chatId, apiBase: tg.url },
      notice('t5'),
      new MemoryNoticeLedger(),
    );
    expect(out).toMatchObject({ status: 'sent', attempts: 2 });
    expect(waits).toEqual([3000]);
  });
});
