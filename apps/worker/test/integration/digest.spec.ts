import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, CameraState, IncidentType, RiskLevel } from '@vigint/contracts';
import { createDb, type Db } from '@vigint/db';
import { createMailer, type MailTransport } from '@vigint/mailer';
import { createArtifactStore, type ArtifactStore } from '@vigint/storage';
import {
  createTestDatabase,
  makeTestJpeg,
  startSmtpServer,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';
import { DigestProcessor } from '../../src/processors/digest.processor';

/*
 * The daily digest on PostgreSQL and a real SMTP server, driven by a synthetic clock: nothing before the
 * client's local hour, one e-mail once it has come (however many runs and workers), none for a client with the
 * digest off, and a failed send retried by the next run.
 */

const HOUR = 3600_000;
// Tomorrow (UTC) at 06:30 and 07:05: 07:30 and 08:05 in Paris (winter, UTC+1), within the records' retention.
const tomorrow = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1));
const at = (h: number, m: number) => new Date(tomorrow.getTime() + h * HOUR + m * 60_000);
const localDay = tomorrow.toISOString().slice(0, 10);

let tdb: TestDatabase;
let db: Db;
let smtp: TestSmtpServer;
let mailer: MailTransport;
let store: ArtifactStore;
let storageDir: string;
let clientId: string;
let quietId: string;

const processor = (now: Date) =>
  new DigestProcessor({
    db,
    store,
    mailer,
    from: 'Vigint <digest@example.com>',
    publicBaseUrl: 'https://vigint.example',
    now: () => now,
  });

beforeAll(async () => {
  tdb = await createTestDatabase('digest');
  db = createDb(tdb.url);
  smtp = await startSmtpServer();
  mailer = createMailer({ EMAIL_SMTP_SERVER: smtp.host, EMAIL_SMTP_PORT: smtp.port });
  storageDir = await mkdtemp(join(tmpdir(), 'vigint-digest-'));
  store = await createArtifactStore({ backend: 'disk', storageDir });

  const created = await db.clients.create({
    name: 'Boulangerie',
    email: 'owner@boulangerie.test',
    language: AlertLanguage.Fr,
  });
  clientId = created.client.id;
  // AI calls: two in the 24 hours summarised, one before.
  for (const [hoursBefore, cost] of [
    [1, 0.0012],
    [20, 0.003],
    [26, 0.5],
  ] as const) {
    await db.usage.recordCall({
      apiKeyId: created.apiKey.id,
      endpoint: '/api/video/analyze',
      method: 'POST',
      statusCode: 200,
      cost,
      aiRequests: 1,
      at: new Date(at(7, 5).getTime() - hoursBefore * HOUR),
    });
  }
  quietId = (await db.clients.create({ name: 'Quiet', email: 'quiet@example.com' })).client.id;
  await db.consoleSettings.update(clientId, { timeZone: 'Europe/Paris', digestEnabled: true, digestHour: 8 });
  // Digest off (the default): never mailed.
  await db.consoleSettings.update(quietId, { timeZone: 'Europe/Paris', digestHour: 8 });

  const incident = (key: string, cameraId: string, cameraName: string, hoursBefore: number, riskLevel: RiskLevel) => ({
    idempotencyKey: key,
    cameraId,
    cameraName,
    startedAt: new Date(at(7, 5).getTime() - hoursBefore * HOUR).toISOString(),
    detectedAt: new Date(at(7, 5).getTime() - hoursBefore * HOUR + 3000).toISOString(),
    riskLevel,
    incidentType: IncidentType.Intrusion,
    summary: `Une personne devant ${cameraName}`,
  });
  await db.incidents.open(clientId, incident('cour-1', 'cour', 'Cour', 2, RiskLevel.Critical));
  await db.incidents.open(clientId, incident('cour-2', 'cour', 'Cour', 5, RiskLevel.Medium));
  await db.incidents.open(clientId, incident('porte-1', 'porte', 'Porte', 9, RiskLevel.High));
  // Older than the 24 hours summarised.
  await db.incidents.open(clientId, incident('porte-0', 'porte', 'Porte', 30, RiskLevel.High));
  await db.incidents.open(quietId, incident('q-1', 'q', 'Q', 1, RiskLevel.High));

  const thumb = await makeTestJpeg({ width: 320, height: 180 });
  const put = await store.put('thumb-cour-0001', thumb);
  const artifact = await db.artifacts.create({
    clientId,
    kind: 'thumbnail',
    storageKey: 'thumb-cour-0001',
    bytes: put.bytes,
    sha256: put.sha256,
    mime: 'image/jpeg',
  });
  await db.incidents.update(clientId, 'cour-1', { thumbnailArtifactId: artifact.id });
  await db.cameras.heartbeat(
    clientId,
    { id: 'cour', name: 'Cour', state: CameraState.Live, lastFrameAt: at(7, 0).toISOString() },
    at(7, 0),
  );
  await db.cameras.heartbeat(
    clientId,
    { id: 'porte', name: 'Porte', state: CameraState.Failed, lastFrameAt: at(3, 0).toISOString() },
    at(7, 0),
  );
}, 60_000);

afterAll(async () => {
  await mailer?.close();
  await store?.close();
  await db?.close();
  await tdb?.drop();
  await smtp?.stop();
  await rm(storageDir, { recursive: true, force: true });
});

describe('daily digest', () => {
  it('waits for the local hour, then mails the last 24 hours once, in French', async () => {
    expect(await processor(at(6, 30)).run()).toEqual({ due: 0, sent: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);

    // Two workers' runs at once, and a later run the same day: one e-mail.
    const runs = await Promise.all([processor(at(7, 5)).run(), processor(at(7, 5)).run()]);
    expect(runs.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect((await processor(at(7, 40)).run()).due).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages).toHaveLength(1);

    const mail = smtp.messages[0]!;
    expect(mail.envelope.to).toEqual(['owner@boulangerie.test']);
    expect(mail.parsed.subject).toMatch(/^\[Vigint\] Résumé du \d{1,2} \S+ \d{4}$/);
    const text = String(mail.parsed.text);
    expect(text).toContain('3 incidents ces dernières 24 heures.');
    expect(text).toContain('- Cour: 2');
    expect(text).toContain('- Porte: 1');
    // Highest risk first; the 30-hour-old incident is not in it.
    const top = text.slice(text.indexOf('Principaux incidents'));
    expect(top.indexOf('Cour')).toBeLessThan(top.indexOf('Porte'));
    expect(text).not.toContain('porte-0');
    expect(text).toContain('Caméras passées hors ligne:');
    expect(text).toMatch(/- Porte \(hors ligne, \d{1,2} déc\., 04:00\)/);
    // Only the calls of the period (0.0012 + 0.003), not the one of the day before.
    expect(text).toMatch(/Dépense IA sur ces 24 heures : 0,0042\s\$US/);
    expect(text).toContain('https://vigint.example/console/incidents/');
    // The top incident's thumbnail, inline.
    const img = mail.parsed.attachments.find((a) => a.contentType === 'image/jpeg')!;
    expect(img.cid).toBe('digest-0@vigint');
    expect(String(mail.parsed.html)).toContain('src="cid:digest-0@vigint"');
    expect(smtp.messages.some((m) => m.envelope.to.includes('quiet@example.com'))).toBe(false);
    expect((await db.consoleSettings.get(clientId)).digestEnabled).toBe(true);
    expect((await db.consoleSettings.digestSchedules()).find((s) => s.clientId === clientId)?.lastDigestDay).toBe(
      localDay,
    );
  });

  it('gives the day back when the send fails, and the next run sends it', async () => {
    const nextDay = (h: number, m: number) => new Date(at(h, m).getTime() + 24 * HOUR);
    await smtp.down();
    try {
      expect(await processor(nextDay(7, 5)).run()).toMatchObject({ due: 1, sent: 0, failed: 1 });
    } finally {
      await smtp.up();
    }
    const before = smtp.messages.length;
    expect(await processor(nextDay(7, 10)).run()).toMatchObject({ due: 1, sent: 1, failed: 0 });
    expect(smtp.messages.length).toBe(before + 1);
    // Nothing happened in the last 24 hours of that day.
    expect(String(smtp.messages.at(-1)!.parsed.text)).toContain('Aucun incident ces dernières 24 heures.');
  });
});
