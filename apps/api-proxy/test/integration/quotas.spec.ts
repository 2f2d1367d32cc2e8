import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, JobName } from '@vigint/contracts';
import { jobIdFor } from '@vigint/queue';
import { refusedBucket } from '../../src/plugins/app/usage';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg } from './media.fixtures';

/*
 * Issue 14 item 3 (part): per-tenant quotas in Redis, shared by every gateway instance — jobs per minute
 * per job type (JOBS_PER_MINUTE) and multi-source buffers (MAX_SOURCES). No worker: jobs are accepted
 * asynchronously (202) and stay queued.
 */

let h: Harness;
const keys: string[] = [];
const post = (g: Harness, key: string, url: string, payload: unknown) =>
  g.app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': key, 'content-type': 'application/json', prefer: 'respond-async' },
    payload: JSON.stringify(payload),
  });

beforeAll(async () => {
  h = await startGateway({ JOBS_PER_MINUTE: '2', JOB_BURST: '2', MAX_SOURCES: '2', RATE_LIMIT_MAX: '100000' });
  for (const name of ['flood', 'calm']) {
    const r = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { 'x-admin-key': ADMIN },
      payload: { name, email: `${name}@example.com` },
    });
    keys.push(r.json().api_key);
  }
}, 60_000);
afterAll(async () => h?.close());

describe('per-tenant quotas', () => {
  it('alerts per hour per client: 429 with Retry-After past ALERTS_PER_HOUR, shared across instances, another client unaffected', async () => {
    const env = { ALERTS_PER_HOUR: '2', JOBS_PER_MINUTE: '100', RATE_LIMIT_MAX: '100000' };
    const shared = { db: h.db, prefix: h.prefix, storageDir: h.storageDir };
    const [g1, g2] = [await startGateway(env, shared), await startGateway(env, shared)];
    try {
      const noisy = await newClient(g1, 'alerts-noisy');
      const quiet = await newClient(g1, 'alerts-quiet');
      const alert = (g: Harness, key: string) =>
        post(g, key, '/api/video/alert', { analysis: 'x', use_server_buffer: false, client_id: 'cam' });
      expect((await alert(g1, noisy)).statusCode).toBe(202);
      expect((await alert(g2, noisy)).statusCode).toBe(202);
      for (const g of [g1, g2]) {
        const over = await alert(g, noisy);
        expect(over.statusCode).toBe(429);
        expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited });
        expect(over.json().error).toMatch(/alert quota exceeded: 2 alerts per hour/);
        expect(Number(over.headers['retry-after'])).toBeGreaterThan(3000);
      }
      expect((await alert(g2, quiet)).statusCode).toBe(202);
    } finally {
      await g1.close();
      await g2.close();
    }
  });

  it('an alert refused by ALERTS_PER_HOUR gives back the job quota it was charged (before the fix the third alert met the job quota)', async () => {
    const g = await startGateway(
      { ALERTS_PER_HOUR: '1', JOBS_PER_MINUTE: '2', JOB_BURST: '2', RATE_LIMIT_MAX: '100000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const key = await newClient(g, 'alerts-refund');
      const id = (await clientIdOf(g, key))!;
      const alert = () => post(g, key, '/api/video/alert', { analysis: 'x', use_server_buffer: false });
      expect((await alert()).statusCode).toBe(202);
      for (let i = 0; i < 3; i++) {
        const over = await alert();
        expect(over.statusCode).toBe(429);
        expect(over.json().error, `refusal ${i}`).toMatch(/alert quota exceeded/);
      }
      // Only the accepted alert's job is counted: one of the two job tokens is left.
      const jobs = { intervalMs: 30_000, burst: 2 };
      expect((await g.app.svc.limits.take(`jobs:${id}:${JobName.AlertSend}`, jobs)).allowed).toBe(true);
      expect((await g.app.svc.limits.take(`jobs:${id}:${JobName.AlertSend}`, jobs)).allowed).toBe(false);
    } finally {
      await g.close();
    }
  });

  it('a re-sent alert (same Idempotency-Key as an accepted one) is not charged again and answers with the original job', async () => {
    const g = await startGateway(
      { ALERTS_PER_HOUR: '1', JOBS_PER_MINUTE: '1', JOB_BURST: '1', RATE_LIMIT_MAX: '100000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const key = await newClient(g, 'alerts-replay');
      const send = (idem: string) =>
        g.app.inject({
          method: 'POST',
          url: '/api/video/alert',
          headers: {
            'x-api-key': key,
            'content-type': 'application/json',
            prefer: 'respond-async',
            'idempotency-key': idem,
          },
          payload: JSON.stringify({ analysis: 'x', use_server_buffer: false, client_id: 'cam', snapshot }),
        });
      const snapshot = b64(await jpeg());
      const first = await send('incident-0001');
      expect(first.statusCode).toBe(202);
      for (let i = 0; i < 3; i++) {
        const again = await send('incident-0001');
        expect(again.statusCode, `replay ${i}`).toBe(202);
        expect(again.json()).toEqual(first.json());
      }
      // The replays' snapshots are not kept: only the original job's frame counts.
      expect(await g.app.svc.blobs.usage((await clientIdOf(g, key))!)).toMatchObject({ blobs: 1 });
      // The quota holds for a new alert: the replays took nothing of it.
      const other = await send('incident-0002');
      expect(other.statusCode).toBe(429);
      expect(other.json().error).toMatch(/quota exceeded/);
      // A refused alert is not remembered as accepted: its re-send is charged (and refused) again.
      expect((await send('incident-0002')).statusCode).toBe(429);
    } finally {
      await g.close();
    }
  });

  it('jobs per minute per job type: 429 with Retry-After past it, other types and other clients unaffected, shared across instances', async () => {
    const [flood, calm] = keys as [string, string];
    const frame = b64(await jpeg());
    const create = (g: Harness, key: string) => post(g, key, '/api/video/create', { frames: [frame] });
    expect((await create(h, flood)).statusCode).toBe(202);
    expect((await create(h, flood)).statusCode).toBe(202);
    const over = await create(h, flood);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited });
    expect(over.json().error).toContain('VideoCreate');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Another job type of the same client, and the same type for another client, still go through.
    expect((await post(h, flood, '/api/storage/cleanup', { type: 'old' })).statusCode).toBe(202);
    expect((await create(h, calm)).statusCode).toBe(202);
    // A second gateway on the same Redis sees the same count.
    const second = await startGateway(
      { JOBS_PER_MINUTE: '2', JOB_BURST: '2' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      expect((await create(second, flood)).statusCode).toBe(429);
    } finally {
      await second.close();
    }
    // The refused calls wrote no usage row (a flood past its limits must not write one per request): they are
    // counted for the day instead, by every instance.
    // Usage is written after each reply is sent: read until the last one is in.
    const floodId = (await clientIdOf(h, flood))!;
    let usage;
    let refused = 0;
    for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      usage = (await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': flood } })).json();
      refused = await h.app.svc.limits.counted(refusedBucket(floodId));
      const accepted = usage.usage.filter((u: { status_code: number }) => u.status_code === 202).length;
      if (refused >= 2 && accepted >= 3) break;
    }
    expect(refused).toBe(2);
    expect(usage.usage.map((u: { status_code: number }) => u.status_code)).not.toContain(429);
    expect(usage.usage.filter((u: { status_code: number }) => u.status_code === 202)).toHaveLength(3);
  });

  it('first notices count in the job quota: a retried announce is not charged again; past the quota the incident is recorded, only its notice skipped', async () => {
    const g = await startGateway(
      { JOBS_PER_MINUTE: '1', JOB_BURST: '2', RATE_LIMIT_MAX: '100000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const key = await newClient(g, 'notices-quota');
      const id = (await clientIdOf(g, key))!;
      const snapshotJpeg = b64(await jpeg());
      const announce = (k: string) =>
        g.app.inject({
          method: 'POST',
          url: '/api/incidents',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          payload: JSON.stringify({
            idempotencyKey: k,
            cameraId: 'yard',
            cameraName: 'Yard',
            startedAt: new Date(Date.now() - 3_000).toISOString(),
            detectedAt: new Date().toISOString(),
            riskLevel: 'HIGH',
            incidentType: 'intrusion',
            summary: 'A person climbs the fence',
            snapshotJpeg,
          }),
        });
      const queued = async (incidentId: string) =>
        (await g.app.svc.queue.getJob(jobIdFor(JobName.NoticeSend, { clientId: id, incidentId }))) !== null;
      const a = await announce('notice-quota-a');
      expect(a.statusCode, a.body).toBe(200);
      // Retried twice: the same incident and job, nothing charged.
      for (let i = 0; i < 2; i++) expect((await announce('notice-quota-a')).json().id).toBe(a.json().id);
      const b = await announce('notice-quota-b');
      const c = await announce('notice-quota-c');
      expect([a, b, c].map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect(await queued(a.json().id)).toBe(true);
      expect(await queued(b.json().id)).toBe(true);
      // The third incident is on record, with no notice: the burst of two was spent by a and b.
      expect(await queued(c.json().id)).toBe(false);
      const listed = await g.app.inject({ method: 'GET', url: '/api/incidents', headers: { 'x-api-key': key } });
      expect(listed.json().incidents).toHaveLength(3);
    } finally {
      await g.close();
    }
  });

  it('cameras per client: past MAX_CAMERAS a heartbeat records the known cameras and refuses the new ones with 429 naming them; another client unaffected', async () => {
    const g = await startGateway(
      { MAX_CAMERAS: '2', RATE_LIMIT_MAX: '100000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const key = await newClient(g, 'cameras-many');
      const other = await newClient(g, 'cameras-other');
      const beat = (k: string, ids: string[]) =>
        g.app.inject({
          method: 'POST',
          url: '/api/cameras/heartbeat',
          headers: { 'x-api-key': k, 'content-type': 'application/json' },
          payload: JSON.stringify({
            cameras: ids.map((id) => ({
              id,
              name: `Camera ${id}`,
              state: 'live',
              lastFrameAt: new Date().toISOString(),
            })),
          }),
        });
      expect((await beat(key, ['yard', 'door'])).statusCode).toBe(200);
      // Known cameras beat again as often as they like.
      expect((await beat(key, ['door', 'yard'])).statusCode).toBe(200);
      const over = await beat(key, ['yard', 'garage', 'attic']);
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited, field: 'cameras' });
      expect(over.json().error).toMatch(/at most 2 cameras per client; not recorded: garage, attic/);
      const listed = await g.app.inject({ method: 'GET', url: '/api/cameras', headers: { 'x-api-key': key } });
      expect(
        listed
          .json()
          .cameras.map((c: { id: string }) => c.id)
          .sort(),
      ).toEqual(['door', 'yard']);
      expect((await beat(other, ['garage', 'attic'])).statusCode).toBe(200);
    } finally {
      await g.close();
    }
  });

  it('multi-source buffers: at most MAX_SOURCES source_ids per client (429 naming source_id), known ones still fed', async () => {
    const [, calm] = keys as [string, string];
    const frame = b64(await jpeg());
    const feed = (source_id: string) =>
      post(h, calm, '/api/video/multi-source/buffer', { frame_data: frame, source_id });
    expect((await feed('cam-1')).statusCode).toBe(200);
    expect((await feed('cam-2')).statusCode).toBe(200);
    const third = await feed('cam-3');
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ code: ErrorCode.RateLimited, field: 'source_id' });
    expect((await feed('cam-1')).statusCode).toBe(200);
  });

  it('frames kept in Redis per client: buffers delete what they trim; past FRAME_QUOTA_COUNT 429 naming frames, over the whole quota 413; another client unaffected', async () => {
    const g = await startGateway(
      { FRAME_QUOTA_COUNT: '5', FRAME_BUFFER_MAX: '3', JOBS_PER_MINUTE: '100', RATE_LIMIT_MAX: '100000' },
      { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
    );
    try {
      const flood = await newClient(g, 'frames-flood');
      const calm = await newClient(g, 'frames-calm');
      const frame = b64(await jpeg());
      // Ten frames into a 3-frame buffer: the seven trimmed are deleted, so a camera never fills its quota.
      for (let i = 0; i < 10; i++) {
        const r = await post(g, flood, '/api/video/buffer', { frame_data: frame });
        expect(r.statusCode, `frame ${i}`).toBe(200);
      }
      expect(await g.app.svc.blobs.usage((await clientIdOf(g, flood))!)).toMatchObject({ blobs: 3 });
      expect((await post(g, flood, '/api/video/create', { frames: [frame, frame] })).statusCode).toBe(202);
      const over = await post(g, flood, '/api/video/create', { frames: [frame] });
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ code: ErrorCode.RateLimited, field: 'frames' });
      expect(over.json().error).toMatch(/frame quota exceeded/);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      const huge = await post(g, calm, '/api/video/buffer/batch', {
        frames: Array.from({ length: 6 }, () => ({ frame_data: frame })),
      });
      expect(huge.statusCode).toBe(413);
      expect(huge.json()).toMatchObject({ code: ErrorCode.PayloadTooLarge, field: 'frames' });
      expect((await post(g, calm, '/api/video/create', { frames: [frame, frame] })).statusCode).toBe(202);
      // A job refused by the job quota gives its frames back at once.
      const strict = await startGateway(
        { FRAME_QUOTA_COUNT: '5', JOBS_PER_MINUTE: '1', JOB_BURST: '1' },
        { db: h.db, prefix: h.prefix, storageDir: h.storageDir },
      );
      try {
        const other = await newClient(strict, 'frames-refused');
        expect((await post(strict, other, '/api/video/create', { frames: [frame] })).statusCode).toBe(202);
        expect((await post(strict, other, '/api/video/create', { frames: [frame, frame] })).statusCode).toBe(429);
        expect(await strict.app.svc.blobs.usage((await clientIdOf(strict, other))!)).toMatchObject({ blobs: 1 });
      } finally {
        await strict.close();
      }
    } finally {
      await g.close();
    }
  });
});

async function newClient(g: Harness, name: string): Promise<string> {
  const r = await g.app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: { 'x-admin-key': ADMIN },
    payload: { name, email: `${name}@example.com` },
  });
  return r.json().api_key as string;
}

async function clientIdOf(g: Harness, key: string): Promise<string | undefined> {
  const r = await g.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': key } });
  return r.json().client_id as string | undefined;
}
