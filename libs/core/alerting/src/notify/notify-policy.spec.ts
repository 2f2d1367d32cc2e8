import { describe, expect, it } from 'vitest';
import { RiskLevel } from '@vigint/contracts';
import { MemoryNoticeLedger, NotifyAdapter, verifyWebhook } from '@vigint/notify';
import { startFakeWebhook } from '@vigint/testing';
import { IncidentAction, incidentActionLinks, signActionLink, verifyActionLink } from './action-link';
import { FirstNoticeService } from './first-notice.service';
import { composeFirstNotice, nextLocalMidnight, noticeDecision } from './notice-policy';

const secret = 'action-link-secret';
const claim = {
  action: IncidentAction.Snooze15,
  clientId: '7',
  incidentId: '0b6f7a2e-8f0c-4a43-9b7c-1d1f2e3a4b5c',
  cameraId: 'cam-uuid',
  expiresAt: new Date('2026-12-02T10:00:00Z'),
};

describe('signed action links', () => {
  it('round-trips the action, client, incident and camera until it expires', () => {
    const t = signActionLink(secret, claim);
    const ok = verifyActionLink(secret, t, new Date('2026-12-01T10:00:00Z'));
    expect(ok).toEqual({ valid: true, claim });
    expect(verifyActionLink(secret, t, new Date('2026-12-02T10:00:00Z'))).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses another secret, a changed payload and garbage', () => {
    const t = signActionLink(secret, claim);
    expect(verifyActionLink('other-secret', t)).toMatchObject({ valid: false, reason: 'bad_signature' });
    const [payload, mac] = t.split('.');
    const forged = Buffer.from(
      Buffer.from(payload!, 'base64url').toString('utf8').replace('|7|', '|8|'),
      'utf8',
    ).toString('base64url');
    expect(verifyActionLink(secret, `${forged}.${mac}`)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(verifyActionLink(secret, 'nope')).toMatchObject({ valid: false, reason: 'malformed' });
  });

  it('builds four distinct links under /console/act/', () => {
    const l = incidentActionLinks(secret, 'https://v.example/', { clientId: '1', incidentId: 'i', cameraId: 'c' });
    expect(new Set(Object.values(l)).size).toBe(4);
    for (const u of Object.values(l)) expect(u).toMatch(/^https:\/\/v\.example\/console\/act\/[\w-]+\.[\w-]{43}$/);
    const token = l.acknowledge.split('/').pop()!;
    expect(verifyActionLink(secret, token)).toMatchObject({
      valid: true,
      claim: { action: IncidentAction.Acknowledge },
    });
  });
});

describe('notice policy', () => {
  const now = new Date('2026-12-01T21:00:00Z');
  it('a snooze silences the camera until it ends; a camera threshold raises the bar', () => {
    expect(
      noticeDecision(RiskLevel.High, { snoozedUntil: new Date(now.getTime() + 1), alertThreshold: null }, now),
    ).toEqual({
      send: false,
      reason: 'snoozed',
    });
    expect(noticeDecision(RiskLevel.High, { snoozedUntil: now, alertThreshold: null }, now)).toEqual({ send: true });
    expect(noticeDecision(RiskLevel.Medium, { snoozedUntil: null, alertThreshold: RiskLevel.High }, now)).toEqual({
      send: false,
      reason: 'below_threshold',
    });
    expect(noticeDecision(RiskLevel.Critical, { snoozedUntil: null, alertThreshold: RiskLevel.High }, now)).toEqual({
      send: true,
    });
  });

  it('"until tomorrow" ends at the next local midnight', () => {
    // 21:00 UTC is 22:00 in Paris (winter): midnight Paris is 23:00 UTC.
    expect(nextLocalMidnight(now, 'Europe/Paris').toISOString()).toBe('2026-12-01T23:00:00.000Z');
    expect(nextLocalMidnight(now, 'UTC').toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  it('composes the notice in the client language and time zone', () => {
    const n = composeFirstNotice({
      incidentId: 'i1',
      idempotencyKey: 'k1',
      cameraName: 'Entrée',
      riskLevel: RiskLevel.High,
      incidentType: 'intrusion',
      summary: 'Une personne\nescalade la clôture',
      occurredAt: now,
      language: 'fr',
      timeZone: 'Europe/Paris',
    });
    expect(n.title).toBe('HIGH · Entrée : intrusion');
    expect(n.text).toBe('Une personne escalade la clôture\nEntrée — 1 déc., 22:00:00');
    expect(n.labels?.acknowledge).toBe('Acquitter');
    expect(n.priority).toBe(5);
  });
});

describe('FirstNoticeService', () => {
  it('sends through the client channels with signed links, and nothing while the camera is snoozed', async () => {
    const hook = await startFakeWebhook();
    try {
      let snoozedUntil: Date | null = null;
      const svc = new FirstNoticeService({
        notify: new NotifyAdapter({ sleep: async () => undefined }),
        ledger: new MemoryNoticeLedger(),
        linkSecret: secret,
        publicBaseUrl: 'https://v.example',
        settings: {
          channelsFor: async () => ({ channels: { webhook: { url: hook.url, secret: 'webhook-secret-0123' } } }),
          cameraControl: async () => ({ snoozedUntil, alertThreshold: null }),
        },
      });
      const req = {
        clientId: '1',
        cameraId: 'c1',
        incidentId: 'i1',
        idempotencyKey: 'cam-1-1000',
        cameraName: 'Yard',
        riskLevel: RiskLevel.High,
        incidentType: 'intrusion',
        summary: 'A person climbs the fence',
        occurredAt: new Date(),
      };
      const first = await svc.send(req);
      expect(first.outcomes.map((o) => o.status)).toEqual(['sent']);
      const body = hook.deliveries[0]!.body;
      expect(
        verifyWebhook('webhook-secret-0123', String(hook.deliveries[0]!.headers['x-vigint-signature']), body).valid,
      ).toBe(true);
      const links = (JSON.parse(body) as { data: { links: Record<string, string> } }).data.links;
      expect(verifyActionLink(secret, links.snooze60!.split('/').pop()!)).toMatchObject({ valid: true });
      // The same incident again: no second delivery.
      expect((await svc.send(req)).outcomes.map((o) => o.status)).toEqual(['duplicate']);
      snoozedUntil = new Date(Date.now() + 15 * 60_000);
      expect(await svc.send({ ...req, incidentId: 'i2', idempotencyKey: 'cam-1-2000' })).toEqual({
        skipped: 'snoozed',
        outcomes: [],
      });
      expect(hook.requests).toHaveLength(1);
    } finally {
      await hook.stop();
    }
  });
});
