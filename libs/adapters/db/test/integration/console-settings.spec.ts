import { createTestDatabase, type TestDatabase } from '../../src/test-database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/index';

let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  tdb = await createTestDatabase('console');
  db = createDb(tdb.url);
});

afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

describe('console settings', () => {
  it('answers defaults for a client that never saved, then keeps what it saves', async () => {
    const { client } = await db.clients.create({ name: 'Shop', email: 'shop@console.test' });
    expect(await db.consoleSettings.get(client.id)).toEqual({
      timeZone: 'UTC',
      channels: {},
      digestEnabled: false,
      digestHour: 8,
    });
    const channels = {
      ntfy: { server: 'https://ntfy.example', topic: 'shop-alerts' },
      webhook: { url: 'https://hooks.example/v', secret: 's'.repeat(20) },
    };
    await db.consoleSettings.update(client.id, { timeZone: 'Europe/Paris', channels, digestEnabled: true });
    expect(await db.consoleSettings.get(client.id)).toEqual({
      timeZone: 'Europe/Paris',
      channels,
      digestEnabled: true,
      digestHour: 8,
    });
    expect((await db.consoleSettings.digestSchedules()).map((s) => s.clientId)).toContain(client.id);
  });

  it('claims one digest per local day, and gives a day back after a failed send', async () => {
    const { client } = await db.clients.create({ name: 'Digest', email: 'digest@console.test' });
    expect(await db.consoleSettings.claimDigest(client.id, '2026-12-01')).toBe(false); // digest off
    await db.consoleSettings.update(client.id, { digestEnabled: true, digestHour: 7 });
    const claims = await Promise.all([1, 2, 3].map(() => db.consoleSettings.claimDigest(client.id, '2026-12-01')));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await db.consoleSettings.releaseDigest(client.id, '2026-12-01', null);
    expect(await db.consoleSettings.claimDigest(client.id, '2026-12-01')).toBe(true);
    expect(await db.consoleSettings.claimDigest(client.id, '2026-12-02')).toBe(true);
  });
});

describe('notice deliveries', () => {
  it('lets one sender claim a key; a failed key may be claimed again; expired rows are purged', async () => {
    const { client } = await db.clients.create({ name: 'Notices', email: 'notices@console.test' });
    const claim = (key: string) =>
      db.noticeDeliveries.claim({
        clientId: client.id,
        idempotencyKey: key,
        incidentId: 'inc-1',
        channel: 'webhook',
        leaseMs: 60_000,
        expiresAt: new Date(Date.now() + 3600_000),
      });
    const wins = await Promise.all([1, 2, 3, 4].map(() => claim('inc-1.webhook')));
    expect(wins.filter(Boolean)).toHaveLength(1);
    await db.noticeDeliveries.recordAttempt('inc-1.webhook', { ok: false, httpStatus: 503, error: 'webhook HTTP 503' });
    await db.noticeDeliveries.finish('inc-1.webhook', 'failed');
    expect(await claim('inc-1.webhook')).toBe(true);
    await db.noticeDeliveries.recordAttempt('inc-1.webhook', { ok: true, httpStatus: 200 });
    await db.noticeDeliveries.finish('inc-1.webhook', 'sent');
    expect(await claim('inc-1.webhook')).toBe(false);
    expect(await db.noticeDeliveries.listForIncident(client.id, 'inc-1')).toMatchObject([
      { channel: 'webhook', status: 'sent', attempts: 2, httpStatus: 200, lastError: null },
    ]);
    expect(await db.noticeDeliveries.purgeExpired(new Date(Date.now() + 2 * 3600_000))).toBeGreaterThanOrEqual(1);
    expect(await db.noticeDeliveries.listForIncident(client.id, 'inc-1')).toEqual([]);
  });
});
