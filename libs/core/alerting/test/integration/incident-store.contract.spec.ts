import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppError,
  CameraState,
  DeliveryState,
  IncidentStatus,
  IncidentType,
  RiskLevel,
  type IncidentOpen,
} from '@vigint/contracts';
import { createDb, type Db } from '@vigint/db';
import { createTestDatabase, type TestDatabase } from '@vigint/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraStore, IncidentStore } from '../../src/incidents/incident-store';
import { createLocalStores } from '../../src/incidents/local-incident-store';

// One behaviour, two stores: the same cases run against the local file store (local mode) and PostgreSQL
// (distributed mode), so the console and the agent see the same records whichever mode runs.

interface Stores {
  incidents: IncidentStore;
  cameras: CameraStore;
  tenants: [string, string];
  /** A fresh store over the same data, as after a restart. */
  reopen(): Stores;
}

let tdb: TestDatabase;
let db: Db;
let dir: string;
let clientSeq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase('incident_store');
  db = createDb(tdb.url);
  dir = await mkdtemp(join(tmpdir(), 'vigint-incidents-'));
});
afterAll(async () => {
  await db?.close();
  await tdb?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function pgStores(): Promise<Stores> {
  const make = async () => {
    clientSeq += 1;
    return (await db.clients.create({ name: `c${clientSeq}`, email: `c${clientSeq}@x.test` })).client.id;
  };
  const tenants: [string, string] = [await make(), await make()];
  const self: Stores = { incidents: db.incidents, cameras: db.cameras, tenants, reopen: () => self };
  return self;
}

async function localStores(): Promise<Stores> {
  const sub = await mkdtemp(join(dir, 'run-'));
  const build = (): Stores => ({ ...createLocalStores({ dir: sub }), tenants: ['local', 'other'], reopen: build });
  return build();
}

const open = (key: string, startedAt: string, over: Partial<IncidentOpen> = {}): IncidentOpen => ({
  idempotencyKey: key,
  cameraId: 'door',
  cameraName: 'Front door',
  startedAt,
  detectedAt: startedAt,
  riskLevel: RiskLevel.High,
  incidentType: IncidentType.Intrusion,
  summary: 'A person climbs the fence',
  ...over,
});

describe.each([
  ['local file store', localStores],
  ['PostgreSQL', pgStores],
])('%s', (_name, make) => {
  it('opens once per idempotency key, completes, logs deliveries and survives a restart', async () => {
    const s = await make();
    const [t] = s.tenants;
    const first = await s.incidents.open(t, open('door-1000001', '2026-12-01T10:00:00.000Z'));
    const again = await s.incidents.open(t, open('door-1000001', '2026-12-01T10:00:00.000Z', { summary: 'x' }));
    expect(again.id).toBe(first.id);
    expect(again.summary).toBe('A person climbs the fence');
    expect(first).toMatchObject({ status: IncidentStatus.Open, endedAt: null, deliveries: [], acknowledgedAt: null });
    expect(Date.parse(first.expiresAt) - Date.parse(first.startedAt)).toBe(72 * 3_600_000);

    await s.incidents.addDelivery(t, 'door-1000001', {
      channel: 'email',
      status: DeliveryState.Failed,
      at: '2026-12-01T10:00:20.000Z',
      attempt: 1,
      detail: 'smtp timeout',
    });
    await s.incidents.addDelivery(t, 'door-1000001', {
      channel: 'email',
      status: DeliveryState.Sent,
      at: '2026-12-01T10:00:40.000Z',
      attempt: 2,
    });
    const closed = await s.incidents.complete(t, 'door-1000001', {
      endedAt: '2026-12-01T10:00:15.000Z',
      clipArtifactId: 'clip-1',
      confirm: {
        model: 'm',
        incident: false,
        riskLevel: RiskLevel.Low,
        incidentType: IncidentType.None,
        description: 'a cat',
        confidence: 0.8,
        vetoed: true,
        vetoReason: 'animal',
      },
    });
    expect(closed).toMatchObject({
      status: IncidentStatus.Closed,
      endedAt: '2026-12-01T10:00:15.000Z',
      clipArtifactId: 'clip-1',
      confirm: { vetoed: true, vetoReason: 'animal' },
    });
    expect(closed!.deliveries.map((d) => [d.status, d.attempt])).toEqual([
      ['failed', 1],
      ['sent', 2],
    ]);
    const reopened = s.reopen();
    expect(await reopened.incidents.get(t, first.id)).toEqual(closed);
    expect(await reopened.incidents.update(t, 'no-such-key', { summary: 'x' })).toBeNull();
  });

  it('scopes every read and write to the tenant', async () => {
    const s = await make();
    const [a, b] = s.tenants;
    const rec = await s.incidents.open(a, open('door-2000001', '2026-12-01T11:00:00.000Z'));
    expect(await s.incidents.get(b, rec.id)).toBeNull();
    expect(await s.incidents.acknowledge(b, rec.id)).toBeNull();
    expect(await s.incidents.update(b, 'door-2000001', { summary: 'stolen' })).toBeNull();
    expect((await s.incidents.list(b, {})).incidents).toEqual([]);
    expect(await s.incidents.get(a, 'not-an-id')).toBeNull();
    const ack = await s.incidents.acknowledge(a, rec.id, new Date('2026-12-01T11:05:00.000Z'));
    expect(ack?.acknowledgedAt).toBe('2026-12-01T11:05:00.000Z');
    // The first acknowledgement's time stays.
    expect((await s.incidents.acknowledge(a, rec.id, new Date('2026-12-01T12:00:00.000Z')))?.acknowledgedAt).toBe(
      '2026-12-01T11:05:00.000Z',
    );
  });

  it('lists newest first, filtered by camera, risk and time, in pages', async () => {
    const s = await make();
    const [t] = s.tenants;
    const base = Date.parse('2026-12-01T08:00:00.000Z');
    for (let i = 0; i < 7; i++) {
      await s.incidents.open(
        t,
        open(`cam${i % 2}-${base + i}`, new Date(base + i * 60_000).toISOString(), {
          cameraId: `cam${i % 2}`,
          riskLevel: i % 3 === 0 ? RiskLevel.Critical : RiskLevel.Medium,
        }),
      );
    }
    const p1 = await s.incidents.list(t, { limit: 3 });
    expect(p1.incidents.map((r) => r.startedAt)).toEqual(
      [6, 5, 4].map((i) => new Date(base + i * 60_000).toISOString()),
    );
    const p2 = await s.incidents.list(t, { limit: 3, cursor: p1.nextCursor! });
    const p3 = await s.incidents.list(t, { limit: 3, cursor: p2.nextCursor! });
    expect([...p2.incidents, ...p3.incidents].map((r) => r.idempotencyKey)).toEqual(
      [3, 2, 1, 0].map((i) => `cam${i % 2}-${base + i}`),
    );
    expect(p3.nextCursor).toBeNull();
    const cam1 = await s.incidents.list(t, { camera: 'cam1' });
    expect(cam1.incidents.map((r) => r.cameraId)).toEqual(['cam1', 'cam1', 'cam1']);
    const critical = await s.incidents.list(t, { risk: RiskLevel.High });
    expect(critical.incidents.map((r) => r.riskLevel)).toEqual([
      RiskLevel.Critical,
      RiskLevel.Critical,
      RiskLevel.Critical,
    ]);
    const window = await s.incidents.list(t, {
      from: new Date(base + 2 * 60_000).toISOString(),
      to: new Date(base + 4 * 60_000).toISOString(),
    });
    expect(window.incidents).toHaveLength(3);
  });

  it('records cameras from heartbeats; snooze and threshold outlive the next heartbeat', async () => {
    const s = await make();
    const [t, other] = s.tenants;
    const now = new Date();
    await s.incidents.open(t, open(`door-${now.getTime()}`, now.toISOString()));
    const cam = await s.cameras.heartbeat(t, {
      id: 'door',
      name: 'Front door',
      state: CameraState.Live,
      lastFrameAt: now.toISOString(),
      alertThreshold: RiskLevel.Medium,
    });
    expect(cam).toMatchObject({ id: 'door', state: 'live', alertThreshold: 'MEDIUM', incidentsToday: 1 });
    const until = new Date(now.getTime() + 15 * 60_000);
    expect((await s.cameras.snooze(t, 'door', until))?.snoozedUntil).toBe(until.toISOString());
    await s.cameras.setThreshold(t, 'door', RiskLevel.High);
    await s.cameras.heartbeat(t, {
      id: 'door',
      name: 'Front door',
      state: CameraState.Reconnecting,
      lastFrameAt: null,
    });
    const [listed] = await s.cameras.list(t);
    expect(listed).toMatchObject({
      state: 'reconnecting',
      lastFrameAt: now.toISOString(),
      snoozedUntil: until.toISOString(),
      alertThreshold: 'HIGH',
    });
    // Two cameras may share a name: they are told apart by id.
    await s.cameras.heartbeat(t, { id: 'door-2', name: 'Front door', state: CameraState.Live, lastFrameAt: null });
    expect((await s.cameras.list(t)).map((c) => c.id).sort()).toEqual(['door', 'door-2']);
    expect(await s.cameras.list(other)).toEqual([]);
    expect(await s.cameras.snooze(other, 'door', null)).toBeNull();
  });

  it('expires old records and erases a tenant', async () => {
    const s = await make();
    const [t, other] = s.tenants;
    const old = new Date(Date.now() - 80 * 3_600_000).toISOString();
    const rec = await s.incidents.open(t, open('door-3000001', old));
    expect(await s.incidents.get(t, rec.id)).toBeNull();
    await s.incidents.purgeExpired();
    expect(await s.reopen().incidents.findByKey(t, 'door-3000001')).toBeNull();
    await s.incidents.open(t, open('door-3000002', new Date().toISOString()));
    await s.incidents.open(other, open('door-3000003', new Date().toISOString()));
    await s.cameras.heartbeat(t, { id: 'door', name: 'd', state: CameraState.Live, lastFrameAt: null });
    expect(await s.incidents.erase(t)).toBe(1);
    expect(await s.cameras.erase(t)).toBe(1);
    expect((await s.incidents.list(t, {})).incidents).toEqual([]);
    expect((await s.incidents.list(other, {})).incidents).toHaveLength(1);
  });

  it('refuses a cursor it did not give, naming the field', async () => {
    const s = await make();
    const err = await s.incidents.list(s.tenants[0], { cursor: 'bm9wZQ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).field).toBe('cursor');
  });
});
