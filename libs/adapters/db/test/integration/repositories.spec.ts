import { AppError, CameraState, ErrorCode, IncidentType, RiskLevel } from '@vigint/contracts';
import { createTestDatabase, type TestDatabase } from '../../src/test-database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRowState, createDb, hashApiKey, utcDay, type Db } from '../../src/index';

let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  tdb = await createTestDatabase('repos');
  db = createDb(tdb.url);
});

afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

let seq = 0;
async function newClient(language?: 'en' | 'fr') {
  seq += 1;
  return db.clients.create({ name: `Client ${seq}`, email: `Client${seq}@Example.test`, language: language as never });
}

describe('clients and api keys', () => {
  it('creates a client with a 43-character key stored only as its SHA-256', async () => {
    const created = await newClient();
    expect(created.plaintextKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.client.email).toBe(`client${seq}@example.test`);
    expect(created.client.id).toMatch(/^[0-9]+$/);
    const found = await db.apiKeys.findActiveByHash(hashApiKey(created.plaintextKey));
    expect(found?.client).toEqual(created.client);
    expect(found?.key.id).toBe(created.apiKey.id);
    expect(await db.apiKeys.findActiveByHash(hashApiKey('not-the-key'))).toBeNull();
    expect(await db.apiKeys.findActiveByHash('zz')).toBeNull();
  });

  it('refuses a second client with the same e-mail, whatever its case', async () => {
    const a = await newClient();
    const err = await db.clients.create({ name: 'dup', email: a.client.email.toUpperCase() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: ErrorCode.Conflict, field: 'email' });
  });

  it('revokes and reactivates every key of a client and reports counts', async () => {
    const a = await newClient();
    const second = await db.apiKeys.create(a.client.id, { name: 'second' });
    const other = await newClient();
    expect(await db.apiKeys.revokeAllForClient(a.client.id)).toBe(2);
    expect(await db.apiKeys.revokeAllForClient(a.client.id)).toBe(0);
    expect(await db.apiKeys.findActiveByHash(hashApiKey(second.plaintextKey))).toBeNull();
    expect(await db.apiKeys.findActiveByHash(hashApiKey(other.plaintextKey))).not.toBeNull();
    const keys = await db.apiKeys.listForClient(a.client.id);
    expect(keys.every((k) => !k.isActive && k.revokedAt instanceof Date)).toBe(true);
    expect(await db.apiKeys.reactivateAllForClient(a.client.id)).toBe(2);
    expect(await db.apiKeys.findActiveByHash(hashApiKey(a.plaintextKey))).not.toBeNull();
    expect(await db.apiKeys.revokeAllForClient('999999')).toBe(0);
    expect(await db.apiKeys.revokeAllForClient('not-an-id')).toBe(0);
  });

  it('lists clients with their keys and touches last_used', async () => {
    const a = await newClient();
    const at = new Date('2026-03-01T10:00:00.000Z');
    await db.apiKeys.touchLastUsed(a.apiKey.id, at);
    const list = await db.clients.listWithKeys();
    const mine = list.find((c) => c.id === a.client.id);
    expect(mine?.apiKeys).toHaveLength(1);
    expect(mine?.apiKeys[0]?.lastUsedAt).toEqual(at);
    expect(mine?.apiKeys[0]).not.toHaveProperty('keyHash');
  });

  it('ensure() finds or creates a key-less client once', async () => {
    const [x, y] = await Promise.all([
      db.clients.ensure({ name: 'Default', email: 'default@vigint.local' }),
      db.clients.ensure({ name: 'Default', email: 'default@vigint.local' }),
    ]);
    expect(x.id).toBe(y.id);
    expect(await db.clients.findById('nope')).toBeNull();
  });
});

describe('import of the earlier system', () => {
  it('keeps legacy ids and hashes, and later creates do not collide', async () => {
    const legacy = await db.clients.importClient({
      legacyId: 5000,
      name: 'Old Site',
      email: 'old@site.test',
      language: 'fr' as never,
    });
    expect(legacy.id).toBe('5000');
    expect((await db.clients.importClient({ legacyId: 5000, name: 'again', email: 'OLD@site.test' })).name).toBe(
      'Old Site',
    );
    const plaintext = 'k'.repeat(43);
    const key = await db.apiKeys.importHashed({ legacyId: 7000, clientId: legacy.id, keyHash: hashApiKey(plaintext) });
    expect(key.id).toBe('7000');
    expect((await db.apiKeys.findActiveByHash(hashApiKey(plaintext)))?.client.id).toBe('5000');
    const fresh = await newClient();
    expect(Number(fresh.client.id)).toBeGreaterThan(5000);
    expect(Number(fresh.apiKey.id)).toBeGreaterThan(7000);
  });
});

describe('usage', () => {
  it('records calls and increments the daily counters atomically, even concurrently', async () => {
    const a = await newClient();
    const at = new Date('2026-04-01T12:00:00.000Z');
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        db.usage.recordCall({
          apiKeyId: a.apiKey.id,
          endpoint: '/api/video/analyze',
          method: 'POST',
          statusCode: 200,
          bytesIn: 100,
          bytesOut: 10,
          cost: 0.5,
          at: new Date(at.getTime() + i),
        }),
      ),
    );
    await db.usage.addDaily(
      a.apiKey.id,
      '/api/video/analyze',
      { aiRequests: 2, inputTokens: 3_000_000_000, alertsSent: 1 },
      at,
    );
    const daily = await db.usage.daily(a.apiKey.id, 3, new Date('2026-04-02T01:00:00.000Z'));
    expect(daily).toEqual([
      {
        apiKeyId: a.apiKey.id,
        day: '2026-04-01',
        endpoint: '/api/video/analyze',
        calls: 25,
        aiRequests: 2,
        inputTokens: 3_000_000_000,
        outputTokens: 0,
        bytesIn: 2500,
        bytesOut: 250,
        alertsSent: 1,
      },
    ]);
    expect(await db.usage.daily(a.apiKey.id, 1, new Date('2026-04-05T00:00:00.000Z'))).toEqual([]);
    expect(await db.usage.countCalls(a.apiKey.id)).toBe(25);
  });

  it('returns the last 100 calls newest first', async () => {
    const a = await newClient();
    const base = Date.parse('2026-05-01T00:00:00.000Z');
    for (let i = 0; i < 105; i++) {
      await db.usage.recordCall({
        apiKeyId: a.apiKey.id,
        endpoint: `/e${i}`,
        method: 'GET',
        statusCode: 200,
        at: new Date(base + i * 1000),
      });
    }
    const recent = await db.usage.recentCalls(a.apiKey.id);
    expect(recent).toHaveLength(100);
    expect(recent[0]?.endpoint).toBe('/e104');
    expect(recent[99]?.endpoint).toBe('/e5');
    expect(utcDay(recent[0]!.timestamp)).toBe('2026-05-01');
  });
});

describe('alerts', () => {
  const lease = { leaseMs: 60_000 };

  it('claims an idempotency key once under concurrent claims', async () => {
    const a = await newClient();
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        db.alerts.claim(
          {
            idempotencyKey: 'incident-concurrent',
            clientId: a.client.id,
            cameraName: 'door',
            sceneHashes: ['ab', 'cd'],
          },
          lease,
        ),
      ),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
    const winner = results.find((r) => r.claimed)!.alert;
    expect(winner).toMatchObject({
      status: AlertRowState.Sending,
      attempts: 1,
      sceneHashes: ['ab', 'cd'],
      phash: 'ab',
    });
    const sent = await db.alerts.markSent('incident-concurrent', {
      providerMessageId: '<m1@x>',
      recipient: 'ops@x.test',
    });
    expect(sent).toMatchObject({
      status: AlertRowState.Sent,
      providerMessageId: '<m1@x>',
      attempts: 1,
      leaseUntil: null,
    });
    const again = await db.alerts.claim({ idempotencyKey: 'incident-concurrent', clientId: a.client.id }, lease);
    expect(again).toMatchObject({ claimed: false, created: false });
    expect(again.alert.status).toBe(AlertRowState.Sent);
  });

  it('lets a retry re-claim a failed alert or one whose lease ran out, never a live claim', async () => {
    const a = await newClient();
    const t0 = new Date('2026-07-01T00:00:00.000Z');
    const key = 'incident-lease';
    expect(
      (await db.alerts.claim({ idempotencyKey: key, clientId: a.client.id }, { leaseMs: 30_000, now: t0 })).claimed,
    ).toBe(true);
    const live = await db.alerts.claim(
      { idempotencyKey: key, clientId: a.client.id },
      { leaseMs: 30_000, now: new Date(t0.getTime() + 10_000) },
    );
    expect(live.claimed).toBe(false);
    const expired = await db.alerts.claim(
      { idempotencyKey: key, clientId: a.client.id },
      { leaseMs: 30_000, now: new Date(t0.getTime() + 31_000) },
    );
    expect(expired).toMatchObject({ claimed: true, created: false });
    expect(expired.alert.attempts).toBe(2);
    await db.alerts.markFailed(key, 'smtp down');
    const retry = await db.alerts.claim(
      { idempotencyKey: key, clientId: a.client.id },
      { leaseMs: 30_000, now: new Date(t0.getTime() + 32_000) },
    );
    expect(retry.claimed).toBe(true);
    expect(retry.alert).toMatchObject({ attempts: 3, status: AlertRowState.Sending, lastError: null });
    expect(await db.alerts.incrementAttempts(key)).toBe(4);
    const suppressed = await db.alerts.markSuppressed(key, { reason: 'duplicate scene', duplicateOf: 'incident-x' });
    expect(suppressed).toMatchObject({
      status: AlertRowState.Suppressed,
      reason: 'duplicate scene',
      duplicateOf: 'incident-x',
    });
    expect((await db.alerts.claim({ idempotencyKey: key, clientId: a.client.id }, lease)).claimed).toBe(false);
  });

  it('renews only the live claim it holds: a heartbeat keeps it, a takeover or a finished send ends it', async () => {
    const a = await newClient();
    const t0 = new Date('2026-07-02T00:00:00.000Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const key = 'incident-heartbeat';
    await db.alerts.claim({ idempotencyKey: key, clientId: a.client.id }, { leaseMs: 3_000, now: t0 });
    // The sender renews at 2 s and 4 s: at 5 s its claim still holds although the first lease ended at 3 s.
    expect(await db.alerts.renewLease(key, { attempt: 1, leaseMs: 3_000, now: at(2) })).toBe(true);
    expect(await db.alerts.renewLease(key, { attempt: 1, leaseMs: 3_000, now: at(4) })).toBe(true);
    expect((await db.alerts.findByIdempotencyKey(key))!.leaseUntil).toEqual(at(7));
    expect(
      (await db.alerts.claim({ idempotencyKey: key, clientId: a.client.id }, { leaseMs: 3_000, now: at(5) })).claimed,
    ).toBe(false);
    // It stops (died): at 8 s another sender takes over, and the old one's late heartbeat no longer counts.
    const takeover = await db.alerts.claim(
      { idempotencyKey: key, clientId: a.client.id },
      { leaseMs: 3_000, now: at(8) },
    );
    expect(takeover).toMatchObject({ claimed: true, alert: { attempts: 2 } });
    expect(await db.alerts.renewLease(key, { attempt: 1, leaseMs: 3_000, now: at(9) })).toBe(false);
    expect((await db.alerts.findByIdempotencyKey(key))!.leaseUntil).toEqual(at(11));
    await db.alerts.markSent(key, { providerMessageId: '<hb@x>' });
    expect(await db.alerts.renewLease(key, { attempt: 2, leaseMs: 3_000, now: at(10) })).toBe(false);
    expect(await db.alerts.renewLease('no-such-alert', { attempt: 1, leaseMs: 3_000 })).toBe(false);
  });

  it('finds the latest alert of a camera since a time, for cooldown and phash dedup', async () => {
    const a = await newClient();
    const now = Date.now();
    await db.alerts.claim(
      {
        idempotencyKey: 'cd-1',
        clientId: a.client.id,
        cameraName: 'Yard',
        cameraId: 'yard',
        occurredAt: new Date(now - 30_000),
      },
      lease,
    );
    await db.alerts.markSent('cd-1', { providerMessageId: 'x' });
    await db.alerts.claim(
      {
        idempotencyKey: 'cd-2',
        clientId: a.client.id,
        cameraName: 'Yard',
        cameraId: 'yard',
        occurredAt: new Date(now - 20_000),
      },
      lease,
    );
    await db.alerts.markFailed('cd-2', 'smtp down');
    await db.alerts.claim(
      {
        idempotencyKey: 'cd-3',
        clientId: a.client.id,
        cameraName: 'Yard',
        cameraId: 'yard',
        occurredAt: new Date(now),
      },
      lease,
    );
    const since = new Date(now - 60_000);
    const latest = await db.alerts.findLatestForCamera({
      clientId: a.client.id,
      cameraId: 'yard',
      since,
      excludeKey: 'cd-3',
    });
    expect(latest?.idempotencyKey).toBe('cd-1');
    const recent = await db.alerts.listRecentForCamera({ clientId: a.client.id, cameraId: 'yard', since });
    expect(recent.map((r) => r.idempotencyKey)).toEqual(['cd-3', 'cd-1']);
    expect(await db.alerts.findLatestForCamera({ clientId: a.client.id, cameraId: 'gate', since })).toBeNull();
    expect(
      await db.alerts.findLatestForCamera({ clientId: a.client.id, cameraId: 'yard', since: new Date(now + 60_000) }),
    ).toBeNull();
    // Another camera with the same name is another camera.
    await db.alerts.claim(
      {
        idempotencyKey: 'cd-4',
        clientId: a.client.id,
        cameraName: 'Yard',
        cameraId: 'yard-2',
        occurredAt: new Date(now),
      },
      lease,
    );
    expect(
      (await db.alerts.listRecentForCamera({ clientId: a.client.id, cameraId: 'yard-2', since })).map(
        (r) => r.idempotencyKey,
      ),
    ).toEqual(['cd-4']);
    const other = await newClient();
    expect(await db.alerts.findLatestForCamera({ clientId: other.client.id, cameraId: 'yard', since })).toBeNull();
  });
});

describe('artifacts, incidents, cameras, audit', () => {
  it('scopes artifacts to their client and reports stats', async () => {
    const a = await newClient();
    const b = await newClient();
    const art = await db.artifacts.create({
      clientId: a.client.id,
      kind: 'video',
      storageKey: `k-${a.client.id}-1`,
      bytes: 1000,
      sha256: 'f'.repeat(64),
      mime: 'video/mp4',
      filename: '../../etc/passwd.mp4',
      expiresAt: new Date(Date.now() - 1000),
    });
    await db.artifacts.create({
      clientId: a.client.id,
      kind: 'video',
      storageKey: `k-${a.client.id}-2`,
      bytes: 500,
      sha256: 'e'.repeat(64),
      mime: 'video/mp4',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    expect((await db.artifacts.findForClient(a.client.id, art.id))?.storageKey).toBe(`k-${a.client.id}-1`);
    expect(await db.artifacts.findForClient(b.client.id, art.id)).toBeNull();
    expect(await db.artifacts.findForClient(a.client.id, 'not-a-uuid')).toBeNull();
    expect((await db.artifacts.findById(art.id))?.id).toBe(art.id);
    const expired = await db.artifacts.listExpired();
    expect(expired.map((e) => e.id)).toContain(art.id);
    expect(expired.every((e) => e.expiresAt! <= new Date())).toBe(true);
    const stats = await db.artifacts.statsForClient(a.client.id);
    expect(stats).toMatchObject({ count: 2, bytes: 1500 });
    expect(stats.oldest).toBeInstanceOf(Date);
    expect(await db.artifacts.statsForClient(b.client.id)).toEqual({ count: 0, bytes: 0, oldest: null, newest: null });
    expect(await db.artifacts.delete(art.id)).toBe(true);
    expect(await db.artifacts.delete(art.id)).toBe(false);
    const erased = await db.artifacts.deleteAllForClient(a.client.id);
    expect(erased.map((e) => e.storageKey)).toEqual([`k-${a.client.id}-2`]);
    expect((await db.artifacts.statsForClient(a.client.id)).count).toBe(0);
  });

  it('records one camera per client and agent camera id, even under concurrent heartbeats', async () => {
    const a = await newClient();
    const b = await newClient();
    const beat = { id: 'door', name: 'Door', state: CameraState.Live, lastFrameAt: null };
    const [c1, c2] = await Promise.all([
      db.cameras.heartbeat(a.client.id, beat),
      db.cameras.heartbeat(a.client.id, beat),
    ]);
    expect(c1.id).toBe(c2.id);
    await db.cameras.heartbeat(b.client.id, beat);
    expect(await db.cameras.list(a.client.id)).toHaveLength(1);
    const inc = await db.incidents.open(a.client.id, {
      idempotencyKey: 'door-1780000000000',
      cameraId: 'door',
      cameraName: 'Door',
      startedAt: new Date().toISOString(),
      detectedAt: new Date().toISOString(),
      riskLevel: RiskLevel.High,
      incidentType: IncidentType.Intrusion,
      summary: 'person at door',
    });
    expect(await db.incidents.get(a.client.id, inc.id)).toEqual(inc);
    expect(await db.incidents.get(b.client.id, inc.id)).toBeNull();
  });

  it('logs audit entries that outlive the client', async () => {
    const a = await newClient();
    await db.audit.log({
      clientId: a.client.id,
      apiKeyId: a.apiKey.id,
      action: 'download',
      target: 'artifact:x',
      ip: '127.0.0.1',
    });
    await db.audit.log({ clientId: a.client.id, action: 'erase', target: `client:${a.client.id}` });
    expect(await db.clients.delete(a.client.id)).toBe(true);
    const entries = await db.audit.listForClient(a.client.id);
    expect(entries.map((e) => e.action)).toEqual(['erase', 'download']);
    expect(await db.apiKeys.findActiveByHash(hashApiKey(a.plaintextKey))).toBeNull();
  });

  it('ping answers, and an unreachable database is AppError DEPENDENCY_UNAVAILABLE', async () => {
    await db.ping();
    const down = createDb('postgresql://root@127.0.0.1:1/none', undefined, { connectionTimeoutMillis: 1000 });
    try {
      await expect(down.ping()).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
      await expect(down.clients.findById('1')).rejects.toMatchObject({ code: ErrorCode.DependencyUnavailable });
    } finally {
      await down.close();
    }
  });
});
