import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertLanguage, AlertStatus, AppError, ErrorCode, IncidentType, RiskLevel } from '@vigint/contracts';
import { ImageAdapter } from '@vigint/image';
import { EmlOutboxMailer, SmtpMailer, type MailTransport } from '@vigint/mailer';
import { makeJpegFrames, startSmtpServer, type TestSmtpServer } from '@vigint/testing';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertLedgerState, MemoryAlertLedger, type AlertLedger } from '../../src/alert-ledger';
import { AlertService, type AlertInput, type AlertServiceOptions } from '../../src/alert.service';
import { FileAlertLedger } from '../../src/file-alert-ledger';
import { signVideoLink, VIDEO_LINK_TTL_MS } from '../../src/video-link';

const image = new ImageAdapter();
let smtp: TestSmtpServer;
let mailer: SmtpMailer;
let dir: string;
let sceneA: Buffer[];
let sceneB: Buffer[];
let clipPath: string;
const clipBytes = Buffer.alloc(120_000, 9);
const t0 = new Date('2026-03-01T10:00:00Z');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(async () => {
  smtp = await startSmtpServer();
  mailer = new SmtpMailer({ host: smtp.host, port: smtp.port, connectionTimeoutMs: 1_000, greetingTimeoutMs: 1_000 });
  sceneA = await makeJpegFrames(3, { width: 320, height: 240, seed: 1 });
  sceneB = await makeJpegFrames(3, { width: 320, height: 240, seed: 42 });
});
afterAll(async () => {
  await mailer.close();
  await smtp.stop();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  await smtp.up();
  dir = await mkdtemp(join(tmpdir(), 'vigint-alert-'));
  clipPath = join(dir, 'clip.mp4');
  await writeFile(clipPath, clipBytes);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function service(ledger: AlertLedger = new MemoryAlertLedger(), over: Partial<AlertServiceOptions> = {}) {
  return new AlertService({ mailer, ledger, image, from: 'Vigint <alerts@vigint.test>', ...over });
}

function input(over: Partial<AlertInput> = {}): AlertInput {
  const expiresAt = new Date(t0.getTime() + VIDEO_LINK_TTL_MS);
  return {
    alertKey: 'incident-1',
    clientKey: 'client-1',
    to: 'owner@example.test',
    clientName: 'Alice',
    cameraId: 'garage',
    cameraName: 'Garage',
    riskLevel: RiskLevel.High,
    incidentType: IncidentType.Intrusion,
    analysis: 'A person climbs over the fence.',
    language: AlertLanguage.En,
    occurredAt: t0,
    frames: sceneA,
    clip: { path: clipPath },
    videoLink: {
      url: `https://vigint.test/video/vid-1?token=${signVideoLink('secret', 'vid-1', expiresAt)}`,
      expiresAt,
    },
    ...over,
  };
}

describe('AlertService with a real SMTP server', () => {
  it('sends one e-mail with the clip, the inline thumbnail and the private link', async () => {
    const outcome = await service().send(input());
    expect(outcome).toMatchObject({ status: AlertStatus.Delivered, attempts: 1, clipAttached: true, replayed: false });
    const [mail] = await smtp.waitForMessages(1);
    const m = mail!.parsed;
    expect(mail!.envelope.to).toEqual(['owner@example.test']);
    expect(m.subject).toBe('[Vigint] Intrusion (high risk) — Garage');
    const clip = m.attachments.find((a) => a.filename === 'incident.mp4')!;
    expect(clip.contentType).toBe('video/mp4');
    expect(clip.content.equals(clipBytes)).toBe(true);
    const thumb = m.attachments.find((a) => a.contentType === 'image/jpeg')!;
    expect(thumb.cid).toBeTruthy();
    expect(m.html).toContain(`cid:${thumb.cid}`);
    expect(m.html).toContain(input().videoLink!.url.replace(/&/g, '&amp;'));
    expect(m.text).toContain(input().videoLink!.url);
    expect(m.text).toContain('A person climbs over the fence.');
    expect(m.text).toContain('Garage');
    expect(m.text).toContain('The video clip is attached');
  });

  it('sends once for the same alertKey sent twice, one after the other', async () => {
    const svc = service();
    const first = await svc.send(input());
    const second = await svc.send(input());
    expect(first.status).toBe(AlertStatus.Delivered);
    expect(second).toMatchObject({ status: AlertStatus.Delivered, replayed: true, messageId: first.messageId });
    expect(smtp.messages).toHaveLength(1);
  });

  it('sends once for the same alertKey sent twice at the same time', async () => {
    const svc = service();
    const outcomes = await Promise.all([svc.send(input()), svc.send(input())]);
    expect(outcomes.filter((o) => o.status === AlertStatus.Delivered && !o.replayed)).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('suppresses the same scene within the cooldown even with other wording, not another scene or after the cooldown', async () => {
    const svc = service();
    await svc.send(input());
    const dup = await svc.send(
      input({
        alertKey: 'incident-2',
        analysis: 'Someone is scaling the fence!',
        riskLevel: RiskLevel.Critical,
        occurredAt: new Date(t0.getTime() + 20_000),
      }),
    );
    expect(dup).toMatchObject({ status: AlertStatus.Suppressed, duplicateOf: 'incident-1' });
    const other = await svc.send(
      input({ alertKey: 'incident-3', frames: sceneB, occurredAt: new Date(t0.getTime() + 25_000) }),
    );
    expect(other.status).toBe(AlertStatus.Delivered);
    const otherCamera = await svc.send(
      input({
        alertKey: 'incident-4',
        cameraId: 'porch',
        cameraName: 'Porch',
        occurredAt: new Date(t0.getTime() + 25_000),
      }),
    );
    expect(otherCamera.status).toBe(AlertStatus.Delivered);
    const later = await svc.send(
      input({ alertKey: 'incident-5', occurredAt: new Date(t0.getTime() + 61_000 + 25_000) }),
    );
    expect(later.status).toBe(AlertStatus.Delivered);
    expect(smtp.messages).toHaveLength(4);
    // A retried job of the suppressed alert stays suppressed.
    expect(
      (await svc.send(input({ alertKey: 'incident-2', occurredAt: new Date(t0.getTime() + 20_000) }))).status,
    ).toBe(AlertStatus.Suppressed);
    expect(smtp.messages).toHaveLength(4);
  });

  it('suppresses a frameless alert after another frameless one of the same camera within the cooldown', async () => {
    const svc = service();
    expect((await svc.send(input({ frames: [] }))).status).toBe(AlertStatus.Delivered);
    const dup = await svc.send(
      input({ alertKey: 'incident-2', frames: [], occurredAt: new Date(t0.getTime() + 10_000) }),
    );
    expect(dup).toMatchObject({ status: AlertStatus.Suppressed, duplicateOf: 'incident-1' });
    expect(dup.suppressedReason).toMatch(/no frame to compare/);
    // Another camera, a framed alert, or after the cooldown: sent.
    const porch = input({
      alertKey: 'i-3',
      cameraId: 'porch',
      frames: [],
      occurredAt: new Date(t0.getTime() + 11_000),
    });
    expect((await svc.send(porch)).status).toBe(AlertStatus.Delivered);
    expect((await svc.send(input({ alertKey: 'i-4', occurredAt: new Date(t0.getTime() + 12_000) }))).status).toBe(
      AlertStatus.Delivered,
    );
    const later = input({ alertKey: 'i-5', frames: [], occurredAt: new Date(t0.getTime() + 75_000) });
    expect((await svc.send(later)).status).toBe(AlertStatus.Delivered);
    expect(smtp.messages).toHaveLength(4);
  });

  it('tells two cameras named alike apart: the same scene on another camera id is its own alert', async () => {
    const svc = service();
    await svc.send(input({ cameraId: 'door-1', cameraName: 'Door' }));
    const twin = await svc.send(
      input({
        alertKey: 'incident-twin',
        cameraId: 'door-2',
        cameraName: 'Door',
        occurredAt: new Date(t0.getTime() + 5_000),
      }),
    );
    expect(twin.status).toBe(AlertStatus.Delivered);
    // Same camera id, same scene: still suppressed (the id, not the name, is the key).
    const again = await svc.send(
      input({
        alertKey: 'incident-again',
        cameraId: 'door-1',
        cameraName: 'Front',
        occurredAt: new Date(t0.getTime() + 9_000),
      }),
    );
    expect(again.status).toBe(AlertStatus.Suppressed);
    expect(smtp.messages).toHaveLength(2);
  });

  it('sends camera notices from the template, in the camera language, once per key', async () => {
    const svc = service();
    const notice = {
      alertKey: 'door-camera_offline-1',
      clientKey: 'client-1',
      to: 'owner@example.test',
      kind: 'camera_offline' as const,
      cameraId: 'door',
      cameraName: 'Porte',
      at: new Date('2026-03-01T10:02:30Z'),
      outageStartedAt: new Date('2026-03-01T10:00:00Z'),
      seconds: 150,
      language: AlertLanguage.Fr,
      timeZone: 'Europe/Paris',
    };
    expect((await svc.sendNotice(notice)).status).toBe(AlertStatus.Delivered);
    expect((await svc.sendNotice(notice)).replayed).toBe(true);
    const [mail] = await smtp.waitForMessages(1);
    expect(smtp.messages).toHaveLength(1);
    expect(mail!.parsed.subject).toBe('[Vigint] Caméra hors ligne — Porte');
    // The outage start (11:00 Paris), not the alert time, and the duration.
    expect(mail!.parsed.text).toContain('2 min 30 s');
    expect(mail!.parsed.text).toContain('11:00:00');
    expect(mail!.parsed.html).toContain('lang="fr"');
  });

  it('writes French when the client language is fr', async () => {
    await service().send(input({ language: AlertLanguage.Fr, analysis: 'Une personne escalade la clôture.' }));
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.parsed.subject).toBe('[Vigint] Intrusion (risque élevé) — Garage');
    expect(mail!.parsed.text).toContain('Bonjour Alice,');
    expect(mail!.parsed.text).toContain('Caméra: Garage');
    expect(mail!.parsed.text).toContain('La vidéo est jointe');
    expect(mail!.parsed.text).toContain(input().videoLink!.url);
    expect(mail!.parsed.html).toContain('lang="fr"');
  });

  it('leaves a clip over the budget out and points to the link', async () => {
    const outcome = await service(undefined, { maxClipBytes: 100_000 }).send(input());
    expect(outcome.clipAttached).toBe(false);
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.parsed.attachments.some((a) => a.contentType === 'video/mp4')).toBe(false);
    expect(mail!.parsed.text).toContain('too large for e-mail');
    expect(mail!.parsed.text).toContain(input().videoLink!.url);
  });

  it('throws a retryable MAIL_DELIVERY_FAILED while SMTP is down, marks nothing sent, then sends once', async () => {
    const ledger = new MemoryAlertLedger();
    const svc = service(ledger);
    await smtp.down();
    const err = (await svc.send(input()).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.MailDeliveryFailed);
    expect(err.permanent).toBe(false);
    expect((await ledger.get('incident-1'))!.state).toBe(AlertLedgerState.Failed);
    await smtp.up();
    const retried = await svc.send(input());
    expect(retried).toMatchObject({ status: AlertStatus.Delivered, attempts: 2 });
    await svc.send(input());
    expect(smtp.messages).toHaveLength(1);
    expect((await ledger.get('incident-1'))!.state).toBe(AlertLedgerState.Sent);
  });

  it("keeps a slow send's claim with its heartbeat, so a concurrent retry does not send a second e-mail", async () => {
    const ledger = new MemoryAlertLedger();
    // SMTP that takes 4 s, against a 1.5 s lease renewed every 0.5 s (a busy test machine may stall the loop for
    // most of a second): without the heartbeat the retry at 2.5 s would claim and send.
    const slow: MailTransport = {
      kind: mailer.kind,
      send: async (m) => (await sleep(4_000), mailer.send(m)),
      close: async () => undefined,
    };
    const first = service(ledger, { mailer: slow, claimLeaseMs: 1_500 }).send(input());
    await sleep(2_500);
    const retry = await service(ledger, { claimLeaseMs: 1_500 }).send(input());
    expect(retry).toMatchObject({ replayed: true, status: AlertStatus.Suppressed });
    expect(retry.suppressedReason).toContain('in progress');
    expect(await first).toMatchObject({ status: AlertStatus.Delivered, attempts: 1, replayed: false });
    expect(smtp.messages).toHaveLength(1);
  });

  it("takes over a dead sender's claim once its lease has run out, and sends once", async () => {
    const ledger = new MemoryAlertLedger();
    const { alertKey, clientKey, cameraId, cameraName, to, occurredAt } = input();
    // A sender that claimed and died: no heartbeat follows its claim.
    await ledger.claim({ alertKey, clientKey, cameraId, camera: cameraName, to, occurredAt, sceneHashes: [] }, 300);
    const svc = service(ledger, { claimLeaseMs: 300 });
    expect((await svc.send(input())).status).toBe(AlertStatus.Suppressed);
    await sleep(400);
    expect(await svc.send(input())).toMatchObject({ status: AlertStatus.Delivered, attempts: 2, replayed: false });
    expect(smtp.messages).toHaveLength(1);
  });

  it('remembers sent alerts across restarts with the file ledger', async () => {
    const ledgerDir = join(dir, 'ledger');
    await service(new FileAlertLedger(ledgerDir)).send(input());
    const afterRestart = await service(new FileAlertLedger(ledgerDir)).send(input());
    expect(afterRestart).toMatchObject({ status: AlertStatus.Delivered, replayed: true });
    const dup = await service(new FileAlertLedger(ledgerDir)).send(
      input({ alertKey: 'incident-9', occurredAt: new Date(t0.getTime() + 5_000) }),
    );
    expect(dup.status).toBe(AlertStatus.Suppressed);
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('AlertService with the .eml outbox', () => {
  it('writes a parseable .eml with the clip attached', async () => {
    const outbox = join(dir, 'outbox');
    const svc = new AlertService({
      mailer: new EmlOutboxMailer(outbox),
      ledger: new MemoryAlertLedger(),
      image,
      from: 'alerts@vigint.test',
    });
    const outcome = await svc.send(input());
    expect(outcome.status).toBe(AlertStatus.Delivered);
    const parsed = await simpleParser(await readFile(outcome.messageId!));
    expect(parsed.attachments.find((a) => a.filename === 'incident.mp4')!.content.equals(clipBytes)).toBe(true);
    expect(parsed.text).toContain(input().videoLink!.url);
  });
});
