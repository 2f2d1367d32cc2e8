/// <reference lib="dom" />
import { createHash, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { IncidentType, RiskLevel } from '@vigint/contracts';
import { startSmtpServer } from '@vigint/testing';
import { mp4 } from './media.fixtures';
import { CONSOLE_ADMIN_KEY, startConsoleGateway, type ConsoleHarness } from './console.fixtures';

// The console as a person uses it, in headless Chromium, on the real incident store (PostgreSQL).
// Screenshots go to test/artifacts/console (gitignored) for a human look.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../artifacts/console/', import.meta.url));
let h: ConsoleHarness;
let browser: Browser;
let base: string;
let keyA: string;
let incidentA: string;
let incidentB: string;

async function artifact(clientId: string, kind: string, mime: string, data: Buffer): Promise<string> {
  const key = `${kind}-${randomUUID()}`;
  const put = await h.app.svc.artifacts.put(key, data);
  const a = await h.app.svc.repo.createArtifact({
    clientId,
    kind,
    storageKey: key,
    bytes: put.bytes,
    sha256: createHash('sha256').update(data).digest('hex'),
    mime,
    filename: kind === 'clip' ? 'incident.mp4' : 'thumbnail.jpg',
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
  } as never);
  return a.id;
}

async function seedIncident(clientId: string, camera: { id: string; name: string }, n: number, extra = {}) {
  const key = `${camera.id}-${Date.now() - n * 60_000}`;
  const rec = await h.app.incidents.announce(clientId, {
    idempotencyKey: key,
    cameraId: camera.id,
    cameraName: camera.name,
    startedAt: new Date(Date.now() - n * 60_000).toISOString(),
    detectedAt: new Date(Date.now() - n * 60_000 + 2000).toISOString(),
    riskLevel: n % 2 ? RiskLevel.Medium : RiskLevel.High,
    incidentType: IncidentType.Intrusion,
    summary: n === 0 ? 'A person in a dark hoodie climbs over the back fence' : `Someone walks along the fence (${n})`,
    screen: {
      model: 'gemini-2.5-flash-lite',
      incident: true,
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      description: 'Person near the fence at night',
      confidence: 0.8,
    },
    confirm: {
      model: 'gemini-2.5-flash',
      incident: true,
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      description: 'A person climbs the fence and drops into the yard',
      confidence: 0.9,
      vetoed: false,
    },
    ...extra,
  });
  return { rec, key };
}

beforeAll(async () => {
  h = await startConsoleGateway();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const a = await h.app.svc.repo.createClient('Boulangerie Martin', 'martin@console.test', 'en');
  const b = await h.app.svc.repo.createClient('Other Shop', 'other@console.test', 'en');
  keyA = a.apiKey;
  await h.app.svc.repo.db.consoleSettings.update(a.clientId, { timeZone: 'Europe/Paris' });
  const yard = { id: 'yard', name: 'Back yard' };
  await h.app.cameras.heartbeat(a.clientId, {
    cameras: [
      { id: 'yard', name: 'Back yard', state: 'live' as never, lastFrameAt: new Date().toISOString() },
      {
        id: 'door',
        name: 'Front door',
        state: 'reconnecting' as never,
        lastFrameAt: new Date(Date.now() - 90_000).toISOString(),
      },
    ],
  });
  await h.app.cameras.heartbeat(b.clientId, {
    cameras: [{ id: 'cam-b', name: 'B cam', state: 'live' as never, lastFrameAt: new Date().toISOString() }],
  });
  const clip = await mp4(3, '320x240');
  const thumb = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#3a5f7d' } })
    .jpeg()
    .toBuffer();
  for (let n = 5; n >= 1; n--) await seedIncident(a.clientId, n % 2 ? yard : { id: 'door', name: 'Front door' }, n);
  const top = await seedIncident(a.clientId, yard, 0);
  await h.app.svc.repo.db.incidents.update(a.clientId, top.key, {
    clipArtifactId: await artifact(a.clientId, 'clip', 'video/mp4', clip),
    thumbnailArtifactId: await artifact(a.clientId, 'thumbnail', 'image/jpeg', thumb),
  });
  await h.app.svc.repo.db.incidents.addDelivery(a.clientId, top.key, {
    channel: 'ntfy',
    status: 'sent' as never,
    at: new Date().toISOString(),
    attempt: 1,
  });
  await h.app.svc.repo.db.incidents.addDelivery(a.clientId, top.key, {
    channel: 'email',
    status: 'sent' as never,
    at: new Date().toISOString(),
    attempt: 1,
  });
  incidentA = top.rec.id;
  incidentB = (await seedIncident(b.clientId, { id: 'cam-b', name: 'B cam' }, 0)).rec.id;
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

describe('console in a browser', () => {
  it('sign in, see an incident, play its clip, snooze a camera, sign out; another tenant id is 404', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${base}/console`);
    await expect.poll(() => page.url()).toContain('/console/sign-in');
    await shot(page, '01-sign-in');
    // A wrong key: the form again, with the error said in words.
    await page.getByLabel('API key').fill('wrong-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.locator('#sign-in-error').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(keyA);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/incidents$/);
    const rows = page.locator('#timeline li');
    expect(await rows.count()).toBe(6);
    const first = await rows.first().innerText();
    expect(first).toContain('climbs over the back fence');
    expect(first).toContain('Back yard');
    expect(first).toContain('ntfy: Sent');
    // Time in the client's zone (Europe/Paris), not the server's.
    const iso = await rows.first().locator('time').getAttribute('datetime');
    const paris = new Intl.DateTimeFormat('en-GB', {
      dateStyle: 'medium',
      timeStyle: 'medium',
      timeZone: 'Europe/Paris',
    }).format(new Date(iso!));
    expect(await rows.first().locator('time').innerText()).toBe(paris);
    await shot(page, '02-timeline');

    // Filter by camera: only the front door's incidents.
    await page.getByLabel('Camera').selectOption('door');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/camera=door/);
    expect(await rows.count()).toBe(2);

    await page.goto(`${base}/console/incidents`);
    await rows.first().locator('a').click();
    await page.waitForURL(new RegExp(`/console/incidents/${incidentA}$`));
    expect(await page.locator('#verdict-confirm').innerText()).toContain('drops into the yard');
    expect(await page.locator('#verdict-screen').innerText()).toContain('Person near the fence');
    expect(await page.locator('#delivery-log').innerText()).toContain('ntfy');
    await page.waitForFunction(
      () => {
        const v = document.querySelector('video');
        return !!v && (v.readyState >= 2 || v.error !== null);
      },
      undefined,
      { timeout: 30_000 },
    );
    const played = await page.evaluate(async () => {
      const v = document.querySelector('video')!;
      v.muted = true;
      await v.play().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 800));
      return { error: v.error?.code ?? null, duration: v.duration, time: v.currentTime };
    });
    expect(played.error).toBeNull();
    expect(played.duration).toBeCloseTo(3, 0);
    expect(played.time).toBeGreaterThan(0);
    await shot(page, '03-incident');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.waitForURL(/done=ack/);
    expect(await page.locator('#ack-state').innerText()).toContain('Acknowledged');

    // Another tenant's incident: 404, as for an unknown id, and its clip too.
    const other = await page.goto(`${base}/console/incidents/${incidentB}`);
    expect(other?.status()).toBe(404);
    expect((await page.goto(`${base}/console/incidents/${incidentB}/clip`))?.status()).toBe(404);

    await page.goto(`${base}/console/cameras`);
    const yardCard = page.locator('#camera-yard');
    expect(await yardCard.innerText()).toContain('Live');
    expect(await page.locator('#camera-door').innerText()).toContain('Reconnecting');
    await yardCard.getByRole('button', { name: '1 hour' }).click();
    await page.waitForURL(/done=snoozed/);
    expect(await page.locator('#camera-yard .snoozed').innerText()).toContain('Snoozed until');
    const cam = await h.app.svc.repo.db.cameras.get(
      (await h.app.svc.repo.findActiveKey(createHash('sha256').update(keyA).digest('hex')))!.clientId,
      'yard',
    );
    expect(Date.parse(cam!.snoozedUntil!) - Date.now()).toBeGreaterThan(59 * 60_000);
    await shot(page, '04-cameras');

    await page.goto(`${base}/console/usage`);
    await shot(page, '05-usage');
    await page.goto(`${base}/console/settings`);
    await shot(page, '06-settings');

    // French, then sign out: the page is the sign-in form again and the old session is gone.
    await page.getByRole('button', { name: 'Français' }).click();
    await page.waitForURL(/\/console\/settings/);
    expect(await page.locator('h1').innerText()).toBe('Réglages');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/console\/sign-in\?out=1/);
    expect((await page.goto(`${base}/console/incidents`))?.url()).toContain('/console/sign-in');

    // The timeline on a phone-sized screen.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(`${base}/console/sign-in`);
    await phone.getByLabel('API key').fill(keyA);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.waitForURL(/\/console\/incidents$/);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot(phone, '07-timeline-phone');
    await phone.close();
    await page.close();
  });

  it('a magic link: asked on the sign-in page, read from the e-mail, opened, signed in', async () => {
    const smtp = await startSmtpServer();
    // A gateway of its own that mails (the other has no SMTP); the link names its public base, opened here.
    const m = await startConsoleGateway(undefined, {
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: String(smtp.port),
      PUBLIC_BASE_URL: 'https://console.example',
    });
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    try {
      await m.app.listen({ port: 0, host: '127.0.0.1' });
      const mBase = `http://127.0.0.1:${(m.app.server.address() as AddressInfo).port}`;
      await m.app.svc.repo.createClient('Fleuriste Rose', 'rose@console.test', 'en');
      await page.goto(`${mBase}/console/sign-in`);
      await page.getByLabel('E-mail address of your account').fill('rose@console.test');
      await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
      expect(await page.locator('.flash').innerText()).toContain('sign-in link is on its way');
      const [mail] = await smtp.waitForMessages(1, 20_000);
      expect(mail!.envelope.to).toEqual(['rose@console.test']);
      const path = /https:\/\/console\.example(\/console\/magic\/[\w.-]+)/.exec(String(mail!.parsed.text))?.[1];
      expect(path).toBeDefined();
      await page.goto(`${mBase}${path}`);
      await shot(page, '09-magic-link');
      // Opening the link signs nobody in (mail scanners open links): the button on its page does.
      expect((await page.context().cookies()).some((c) => c.name === 'vigint_session')).toBe(false);
      await page.locator('#magic-confirm').click();
      await page.waitForURL(/\/console\/incidents$/);
      expect(await page.locator('body').innerText()).toContain('Fleuriste Rose');
      expect((await page.context().cookies()).find((c) => c.name === 'vigint_session')?.httpOnly).toBe(true);
      // Used once: the same link now answers that it is spent.
      expect((await page.goto(`${mBase}${path}`))?.status()).toBe(410);
    } finally {
      await page.close();
      await m.close();
      await smtp.stop();
    }
  });

  it('the admin key sees every client with its cameras, and can create one (key shown once)', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${base}/console/sign-in`);
    await page.getByLabel('API key').fill(CONSOLE_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/admin$/);
    const table = await page.locator('#clients').innerText();
    expect(table).toContain('Boulangerie Martin');
    expect(table).toContain('Back yard: Live');
    await page.getByLabel('Name').fill('New Site');
    await page.getByLabel('E-mail').fill('new@console.test');
    await page.getByRole('button', { name: 'Add a client' }).click();
    const key = await page.locator('#created-key code').innerText();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await shot(page, '08-admin');
    await page.close();
  });
});
