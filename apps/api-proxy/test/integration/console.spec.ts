import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidentActionLinks } from '@vigint/alerting';
import { startSmtpServer, type TestSmtpServer } from '@vigint/testing';
import type { ConsoleCamera, ConsoleIncident, ConsoleStores } from '../../src/routes/console/console-data';
import {
  CONSOLE_ADMIN_KEY,
  CONSOLE_SECRET,
  cookieJar,
  csrfOf,
  startConsoleGateway,
  type ConsoleHarness,
} from './console.fixtures';

/** Tenant-scoped in-memory stores with the incident store's contract (list/get/acknowledge, snooze/threshold). */
function memoryStores(): ConsoleStores & {
  incidents_: Map<string, ConsoleIncident & { tenant: string }>;
  cameras_: Map<string, ConsoleCamera & { tenant: string }>;
} {
  const incidents_ = new Map<string, ConsoleIncident & { tenant: string }>();
  const cameras_ = new Map<string, ConsoleCamera & { tenant: string }>();
  return {
    incidents_,
    cameras_,
    incidents: {
      async list(tenant, q) {
        const all = [...incidents_.values()]
          .filter((i) => i.tenant === tenant && (!q.camera || i.cameraId === q.camera))
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
        const start = q.cursor ? Number(q.cursor) : 0;
        const page = all.slice(start, start + (q.limit ?? 20));
        return { incidents: page, nextCursor: start + page.length < all.length ? String(start + page.length) : null };
      },
      async get(tenant, id) {
        const i = incidents_.get(id);
        return i && i.tenant === tenant ? i : null;
      },
      async acknowledge(tenant, id, at) {
        const i = incidents_.get(id);
        if (i && i.tenant === tenant) i.acknowledgedAt = (at ?? new Date()).toISOString();
      },
    },
    cameras: {
      async list(tenant) {
        return [...cameras_.values()].filter((c) => c.tenant === tenant);
      },
      async get(tenant, id) {
        const c = cameras_.get(id);
        return c && c.tenant === tenant ? c : null;
      },
      async snooze(tenant, id, until) {
        const c = cameras_.get(id);
        if (c && c.tenant === tenant) c.snoozedUntil = until ? until.toISOString() : null;
      },
      async setThreshold(tenant, id, level) {
        const c = cameras_.get(id);
        if (c && c.tenant === tenant) c.alertThreshold = level;
      },
    },
  };
}

let h: ConsoleHarness;
const stores = memoryStores();
let keyA: string;
let clientA: string;
let clientB: string;

function incident(
  id: string,
  tenant: string,
  cameraId: string,
  minutesAgo: number,
): ConsoleIncident & { tenant: string } {
  return {
    tenant,
    id,
    cameraId,
    cameraName: cameraId === 'cam-a1' ? 'Entrée <b>' : 'Other',
    startedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    endedAt: null,
    riskLevel: 'HIGH',
    incidentType: 'intrusion',
    summary: `A person climbs the fence <script>alert(1)</script> #${id}`,
    screen: { model: 'flash-lite', riskLevel: 'HIGH', analysis: 'person at the fence' },
    confirm: { model: 'flash', riskLevel: 'HIGH', analysis: 'climbing confirmed', vetoed: false },
    clipArtifactId: null,
    thumbnailArtifactId: null,
    deliveries: [{ channel: 'email', status: 'sent', at: new Date().toISOString(), attempt: 1 }],
    acknowledgedAt: null,
  };
}

beforeAll(async () => {
  h = await startConsoleGateway(() => stores);
  const repo = h.app.svc.repo;
  const a = await repo.createClient('Shop A', 'a@console.test', 'en');
  const b = await repo.createClient('Shop B', 'b@console.test', 'fr');
  keyA = a.apiKey;
  clientA = a.clientId;
  clientB = b.clientId;
  stores.cameras_.set('cam-a1', {
    tenant: clientA,
    id: 'cam-a1',
    name: 'Entrée <b>',
    state: 'live',
    lastFrameAt: new Date().toISOString(),
    snoozedUntil: null,
    alertThreshold: null,
    incidentsToday: 2,
  });
  stores.cameras_.set('cam-b1', {
    tenant: clientB,
    id: 'cam-b1',
    name: 'Other',
    state: 'offline',
    lastFrameAt: null,
    snoozedUntil: null,
    alertThreshold: null,
    incidentsToday: 0,
  });
  for (let n = 0; n < 23; n++) stores.incidents_.set(`a-${n}`, incident(`a-${n}`, clientA, 'cam-a1', n));
  stores.incidents_.set('b-0', incident('b-0', clientB, 'cam-b1', 1));
});
afterAll(async () => {
  await h?.close();
});

async function signIn(key: string) {
  const jar = cookieJar();
  const form = await h.app.inject({ method: 'GET', url: '/console/sign-in' });
  jar.take(form.headers['set-cookie']);
  const res = await h.app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ api_key: key, _csrf: csrfOf(form.body) }).toString(),
  });
  jar.take(res.headers['set-cookie']);
  return { jar, res };
}

async function get(jar: ReturnType<typeof cookieJar>, url: string) {
  const res = await h.app.inject({ method: 'GET', url, headers: { cookie: jar.header() } });
  jar.take(res.headers['set-cookie']);
  return res;
}

async function post(jar: ReturnType<typeof cookieJar>, url: string, fields: Record<string, string>) {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

describe('console sign-in', () => {
  it('sets an httpOnly, SameSite=Strict, signed, expiring session cookie for a valid key', async () => {
    const { res } = await signIn(keyA);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/incidents');
    const cookie = [res.headers['set-cookie']].flat().find((c) => c!.startsWith('vigint_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Max-Age=28800/);
    expect(cookie).toMatch(/Path=\/console/);
    // Signed: the value carries an HMAC after the id.
    expect(cookie).toMatch(/^vigint_session=[A-Za-z0-9_-]{32}\.[^;]+;/);
  });

  it('refuses a wrong key with the form again (401), and a form without its CSRF token (403)', async () => {
    const bad = await signIn('not-a-key');
    expect(bad.res.statusCode).toBe(401);
    expect(bad.res.body).toContain('id="sign-in-error"');
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `api_key=${encodeURIComponent(keyA)}`,
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.headers['set-cookie'] ?? '').not.toMatch(/vigint_session=/);
  });

  it('pages without a session redirect to the sign-in form', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/console/incidents' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/console/sign-in');
  });
});

describe('console pages', () => {
  it('lists the tenant incidents newest first, escaped, 20 per page, with the security headers', async () => {
    const { jar } = await signIn(keyA);
    const res = await get(jar, '/console/incidents');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('&lt;script&gt;');
    const ids = [...res.body.matchAll(/href="\/console\/incidents\/(a-\d+)"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(20);
    expect(ids[0]).toBe('a-0');
    expect(res.body).not.toContain('b-0');
    const older = /href="([^"]+)" rel="next"/.exec(res.body)![1]!.replace(/&amp;/g, '&');
    const page2 = await get(jar, older);
    expect([...page2.body.matchAll(/href="\/console\/incidents\/(a-\d+)"/g)].map((m) => m[1])).toEqual([
      'a-20',
      'a-21',
      'a-22',
    ]);
  });

  it("answers 404 for another tenant's incident id, as for an unknown one", async () => {
    const { jar } = await signIn(keyA);
    expect((await get(jar, '/console/incidents/b-0')).statusCode).toBe(404);
    expect((await get(jar, '/console/incidents/nope')).statusCode).toBe(404);
    expect((await get(jar, '/console/incidents/b-0/clip')).statusCode).toBe(404);
    const mine = await get(jar, '/console/incidents/a-3');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('climbing confirmed');
  });

  it('acknowledges, snoozes and sets a threshold only with the CSRF token, only for its own camera', async () => {
    const { jar } = await signIn(keyA);
    const page = await get(jar, '/console/cameras');
    const token = csrfOf(page.body);
    expect((await post(jar, '/console/cameras/cam-a1/snooze', { duration: '15' })).statusCode).toBe(403);
    expect((await post(jar, '/console/cameras/cam-b1/snooze', { duration: '15', _csrf: token })).statusCode).toBe(404);
    expect(stores.cameras_.get('cam-b1')!.snoozedUntil).toBeNull();
    const ok = await post(jar, '/console/cameras/cam-a1/snooze', { duration: '60', _csrf: token });
    expect(ok.statusCode).toBe(303);
    const until = Date.parse(stores.cameras_.get('cam-a1')!.snoozedUntil!);
    expect(until - Date.now()).toBeGreaterThan(59 * 60_000);
    // The banner after the redirect names the snooze, not a generic "Settings saved."
    const snoozedPage = await get(jar, ok.headers.location as string);
    expect(snoozedPage.body).toMatch(/is snoozed until [^<]+: it keeps recording, and sends nothing until then\./);
    expect(snoozedPage.body).not.toContain('Settings saved.');
    const threshold = await post(jar, '/console/cameras/cam-a1/threshold', { threshold: 'HIGH', _csrf: token });
    expect(threshold.statusCode).toBe(303);
    expect(stores.cameras_.get('cam-a1')!.alertThreshold).toBe('HIGH');
    expect((await get(jar, threshold.headers.location as string)).body).toContain('now alerts from risk HIGH.');
    const resumed = await post(jar, '/console/cameras/cam-a1/snooze', { duration: '0', _csrf: token });
    expect(stores.cameras_.get('cam-a1')!.snoozedUntil).toBeNull();
    expect((await get(jar, resumed.headers.location as string)).body).toContain('sends alerts again.');
    expect((await post(jar, '/console/cameras/cam-a1/snooze', { duration: '7', _csrf: token })).statusCode).toBe(400);
    expect((await post(jar, '/console/incidents/a-1/acknowledge', { _csrf: token })).statusCode).toBe(303);
    expect(stores.incidents_.get('a-1')!.acknowledgedAt).not.toBeNull();
  });

  it('saves channel settings, naming the bad field, keeping secrets out of the page', async () => {
    const { jar } = await signIn(keyA);
    const token = csrfOf((await get(jar, '/console/settings')).body);
    const bad = await post(jar, '/console/settings', { _csrf: token, time_zone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('time_zone');
    const ok = await post(jar, '/console/settings', {
      _csrf: token,
      time_zone: 'Europe/Paris',
      webhook_url: 'https://hooks.example/v',
      webhook_secret: 'super-secret-value-123',
      ntfy_server: 'https://ntfy.example',
      ntfy_topic: 'shop-a',
    });
    expect(ok.statusCode).toBe(303);
    const s = await h.app.svc.repo.db.consoleSettings.get(clientA);
    expect(s.timeZone).toBe('Europe/Paris');
    expect(s.channels.webhook?.secret).toBe('super-secret-value-123');
    const page = await get(jar, '/console/settings');
    expect(page.body).not.toContain('super-secret-value-123');
  });

  it('signs out: the old cookie no longer opens a page', async () => {
    const { jar } = await signIn(keyA);
    const before = jar.header();
    const token = csrfOf((await get(jar, '/console/incidents')).body);
    const out = await post(jar, '/console/sign-out', { _csrf: token });
    expect(out.statusCode).toBe(303);
    const again = await h.app.inject({ method: 'GET', url: '/console/incidents', headers: { cookie: before } });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe('/console/sign-in');
  });

  it('the admin key opens the clients page; revoking a client ends its sessions', async () => {
    const client = await signIn(keyA);
    const { jar, res } = await signIn(CONSOLE_ADMIN_KEY);
    expect(res.headers.location).toBe('/console/admin');
    const page = await get(jar, '/console/admin');
    expect(page.body).toContain('Shop A');
    expect(page.body).toContain('Shop B');
    const revoke = await post(jar, `/console/admin/clients/${clientB}/revoke`, { _csrf: csrfOf(page.body) });
    expect(revoke.statusCode).toBe(303);
    expect((await get(client.jar, '/console/incidents')).statusCode).toBe(200);
    const revokeA = await post(jar, `/console/admin/clients/${clientA}/revoke`, { _csrf: csrfOf(page.body) });
    expect(revokeA.statusCode).toBe(303);
    expect((await get(client.jar, '/console/incidents')).statusCode).toBe(303);
    await h.app.svc.repo.setKeysActive(clientA, true);
  });
});

describe('signed action links', () => {
  it('GET shows a confirmation (mail scanners change nothing); POST snoozes the camera; a forged token is 404', async () => {
    const links = incidentActionLinks(CONSOLE_SECRET, 'http://localhost', {
      clientId: clientA,
      incidentId: 'a-5',
      cameraId: 'cam-a1',
    });
    stores.cameras_.get('cam-a1')!.snoozedUntil = null;
    const path = new URL(links.snooze15).pathname;
    const view = await h.app.inject({ method: 'GET', url: path });
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('id="act-confirm"');
    expect(stores.cameras_.get('cam-a1')!.snoozedUntil).toBeNull();
    const done = await h.app.inject({ method: 'POST', url: path });
    expect(done.statusCode).toBe(200);
    expect(Date.parse(stores.cameras_.get('cam-a1')!.snoozedUntil!) - Date.now()).toBeGreaterThan(14 * 60_000);
    const open = await h.app.inject({ method: 'GET', url: new URL(links.open).pathname });
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('climbing confirmed');
    const forged = path.slice(0, -3) + (path.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await h.app.inject({ method: 'POST', url: forged })).statusCode).toBe(404);
    // A link of tenant A naming tenant B's incident cannot exist (the client id is signed), and B's id under A's claim is 404.
    const cross = incidentActionLinks(CONSOLE_SECRET, 'http://localhost', {
      clientId: clientA,
      incidentId: 'b-0',
      cameraId: 'cam-b1',
    });
    expect((await h.app.inject({ method: 'POST', url: new URL(cross.snooze60).pathname })).statusCode).toBe(404);
    expect(stores.cameras_.get('cam-b1')!.snoozedUntil).toBeNull();
  });
});

describe('magic-link sign-in', () => {
  let m: ConsoleHarness;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    m = await startConsoleGateway(undefined, {
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: String(smtp.port),
      PUBLIC_BASE_URL: 'https://console.example',
    });
    await m.app.svc.repo.createClient('Boulangerie', 'owner@boulangerie.test', 'fr');
  });
  afterAll(async () => {
    await m?.close();
    await smtp?.stop();
  });

  async function ask(email: string, ip = '203.0.113.7') {
    const jar = cookieJar();
    const form = await m.app.inject({ method: 'GET', url: '/console/sign-in', remoteAddress: ip });
    expect(form.body).toContain('action="/console/magic"');
    jar.take(form.headers['set-cookie']);
    const res = await m.app.inject({
      method: 'POST',
      url: '/console/magic',
      remoteAddress: ip,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, _csrf: csrfOf(form.body) }).toString(),
    });
    return { res, jar };
  }
  const flash = (html: string) => /<p class="flash" role="status">([^<]*)<\/p>/.exec(html)?.[1];

  it('mails a single-use link to the address on record; the answer is the same for an unknown one', async () => {
    const known = await ask('Owner@Boulangerie.test');
    const unknown = await ask('nobody@example.com');
    expect(known.res.statusCode).toBe(200);
    expect(unknown.res.statusCode).toBe(200);
    expect(flash(known.res.body)).toBeDefined();
    expect(flash(known.res.body)).toBe(flash(unknown.res.body));
    const [mail] = await smtp.waitForMessages(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages).toHaveLength(1);
    expect(mail!.envelope.to).toEqual(['owner@boulangerie.test']);
    expect(mail!.parsed.subject).toBe('[Vigint] Votre lien de connexion');
    const url = /https:\/\/console\.example(\/console\/magic\/[\w.-]+)/.exec(String(mail!.parsed.text))![1]!;

    // A mail scanner's GET signs nobody in; the page's button does, once.
    const jar = cookieJar();
    const page = await m.app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Boulangerie');
    expect(page.headers['set-cookie'] ?? '').not.toMatch(/vigint_session=/);
    jar.take(page.headers['set-cookie']);
    const go = () =>
      m.app.inject({
        method: 'POST',
        url,
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrfOf(page.body) }).toString(),
      });
    // Two clicks at once: one sign-in.
    const both = await Promise.all([go(), go()]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([303, 410]);
    const first = both.find((r) => r.statusCode === 303)!;
    expect(first.headers.location).toBe('/console/incidents');
    expect([first.headers['set-cookie']].flat().some((c) => c?.startsWith('vigint_session='))).toBe(true);
    jar.take(first.headers['set-cookie']);
    const timeline = await m.app.inject({
      method: 'GET',
      url: '/console/incidents',
      headers: { cookie: jar.header() },
    });
    expect(timeline.statusCode).toBe(200);
    expect(timeline.body).toContain('Boulangerie');
    expect((await m.app.inject({ method: 'GET', url })).statusCode).toBe(410);
    // A forged token (another client id, same signature) is refused.
    const [payload, sig] = url.split('/').pop()!.split('.');
    const forged = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace(/^\d+/, '999')).toString(
      'base64url',
    );
    expect((await m.app.inject({ method: 'GET', url: `/console/magic/${forged}.${sig}` })).statusCode).toBe(410);
  });

  it('limits the links per address (same answer, no mail) and per visitor (429)', async () => {
    const before = smtp.messages.length;
    for (let n = 0; n < 4; n++) expect((await ask('owner@boulangerie.test', '198.51.100.9')).res.statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    // The first test sent one already: the address's limit (3 per 15 min) lets two more through.
    expect(smtp.messages.length - before).toBe(2);
    let last = 0;
    for (let n = 0; n < 10; n++) last = (await ask(`x${n}@example.com`, '198.51.100.10')).res.statusCode;
    expect(last).toBe(200);
    expect((await ask('y@example.com', '198.51.100.10')).res.statusCode).toBe(429);
  });
});
