import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type CameraList, type IncidentPage, type IncidentRecord } from '@vigint/contracts';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { b64, jpeg, mp4 } from './media.fixtures';

let h: Harness;
let keyA: string;
let keyB: string;
const clientIds = new Map<string, string>();

async function call(method: 'GET' | 'POST', url: string, key: string, body?: unknown) {
  return h.app.inject({
    method,
    url,
    headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });
}

const announce = (key: string, cameraId: string, startedAt: Date, riskLevel = 'HIGH') => ({
  idempotencyKey: key,
  cameraId,
  cameraName: `Camera ${cameraId}`,
  startedAt: startedAt.toISOString(),
  detectedAt: new Date(startedAt.getTime() + 2_000).toISOString(),
  riskLevel,
  incidentType: 'intrusion',
  summary: 'A person climbs the fence',
});

beforeAll(async () => {
  h = await startGateway();
  const mk = async (name: string) => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN },
      payload: JSON.stringify({ name, email: `${name}@example.com` }),
    });
    expect(r.statusCode).toBe(201);
    const created = r.json() as { api_key: string; client_id: string };
    clientIds.set(created.api_key, created.client_id);
    return created.api_key;
  };
  keyA = await mk('inc-alpha');
  keyB = await mk('inc-beta');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('incidents and cameras routes', () => {
  it('records announced incidents once per key and lists them for their client only', async () => {
    const t0 = Date.now() - 10 * 60_000;
    const first = await call('POST', '/api/incidents', keyA, announce('yard-0000000001', 'yard', new Date(t0)));
    expect(first.statusCode).toBe(200);
    const rec = first.json() as IncidentRecord;
    const again = await call('POST', '/api/incidents', keyA, announce('yard-0000000001', 'yard', new Date(t0)));
    expect((again.json() as IncidentRecord).id).toBe(rec.id);
    await call('POST', '/api/incidents', keyA, announce('door-0000000002', 'door', new Date(t0 + 60_000), 'LOW'));

    const listed = await call('GET', '/api/incidents', keyA);
    const all = listed.json() as IncidentPage;
    expect(all.incidents.map((i) => i.idempotencyKey)).toEqual(['door-0000000002', 'yard-0000000001']);
    const yard = (await call('GET', '/api/incidents?camera=yard', keyA)).json() as IncidentPage;
    expect(yard.incidents.map((i) => i.cameraId)).toEqual(['yard']);
    const high = (await call('GET', '/api/incidents?risk=HIGH&limit=1', keyA)).json() as IncidentPage;
    expect(high.incidents.map((i) => i.riskLevel)).toEqual(['HIGH']);
    expect(high.nextCursor).toBeNull();

    const got = await call('GET', `/api/incidents/${rec.id}`, keyA);
    expect(got.json()).toEqual(rec);
    const other = await call('GET', `/api/incidents/${rec.id}`, keyB);
    expect(other.statusCode).toBe(404);
    expect((await call('GET', '/api/incidents', keyB)).json()).toEqual({ incidents: [], nextCursor: null });

    const ack = await call('POST', `/api/incidents/${rec.id}/acknowledge`, keyA);
    expect((ack.json() as IncidentRecord).acknowledgedAt).not.toBeNull();
    expect((await call('POST', `/api/incidents/${rec.id}/acknowledge`, keyB)).statusCode).toBe(404);
  });

  it('records an incident the agent mailed itself (failover) once, closed, with its delivery, however often replayed', async () => {
    const t0 = Date.now() - 5 * 60_000;
    const body = {
      ...announce('porch-0000000003', 'porch', new Date(t0)),
      delivered: {
        endedAt: new Date(t0 + 20_000).toISOString(),
        delivery: { channel: 'email', status: 'sent', at: new Date(t0 + 25_000).toISOString(), attempt: 1 },
      },
    };
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await call('POST', '/api/incidents', keyA, body));
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const ids = new Set(replies.map((r) => (r.json() as IncidentRecord).id));
    expect(ids.size).toBe(1);
    const listed = (await call('GET', '/api/incidents?camera=porch', keyA)).json() as IncidentPage;
    expect(listed.incidents).toHaveLength(1);
    const rec = listed.incidents[0]!;
    expect(rec.endedAt).toBe(body.delivered.endedAt);
    expect(rec.deliveries.filter((d) => d.channel === 'email' && d.status === 'sent')).toHaveLength(1);
  });

  it('takes the clip of a recorded incident once (a replay stores nothing), 404 for another client, 422 for a non-video', async () => {
    const t0 = Date.now() - 4 * 60_000;
    const recorded = await call('POST', '/api/incidents', keyA, {
      ...announce('shed-0000000004', 'shed', new Date(t0)),
      delivered: {
        endedAt: new Date(t0 + 20_000).toISOString(),
        delivery: { channel: 'email', status: 'sent', at: new Date(t0 + 21_000).toISOString(), attempt: 1 },
      },
    });
    const rec = recorded.json() as IncidentRecord;
    expect(rec.clipArtifactId).toBeNull();
    const clip = await mp4(2);
    const upload = async (key: string, video: Buffer, id = rec.id) => {
      const form = new FormData();
      form.append('video_data', new Blob([new Uint8Array(video)], { type: 'video/mp4' }), 'incident.mp4');
      const req = new Request('http://x', { method: 'POST', body: form });
      return h.app.inject({
        method: 'POST',
        url: `/api/incidents/${id}/clip`,
        headers: { 'x-api-key': key, 'content-type': req.headers.get('content-type')! },
        payload: Buffer.from(await req.arrayBuffer()),
      });
    };
    expect((await upload(keyB, clip)).statusCode).toBe(404);
    const notVideo = await upload(keyA, await jpeg());
    expect(notVideo.statusCode).toBe(422);
    expect(notVideo.json()).toMatchObject({ code: ErrorCode.InvalidVideo, field: 'video' });
    expect(((await call('GET', `/api/incidents/${rec.id}`, keyA)).json() as IncidentRecord).clipArtifactId).toBeNull();

    const first = await upload(keyA, clip);
    expect(first.statusCode, first.body).toBe(200);
    const withClip = first.json() as IncidentRecord;
    expect(withClip.clipArtifactId).toEqual(expect.any(String));
    expect(withClip.endedAt).toBe(rec.endedAt);
    // Replayed (the agent's outbox sends the entry again): the clip it has is kept, nothing stored again.
    const artifactsOf = () => h.app.svc.repo.db.artifacts.listForClient(clientIds.get(keyA)!);
    const before = (await artifactsOf()).length;
    const replay = await call('POST', `/api/incidents/${rec.id}/clip`, keyA, { video_data: b64(clip) });
    expect(replay.statusCode, replay.body).toBe(200);
    expect((replay.json() as IncidentRecord).clipArtifactId).toBe(withClip.clipArtifactId);
    expect((await artifactsOf()).length).toBe(before);
    const stored = await h.app.svc.repo.db.artifacts.findForClient(clientIds.get(keyA)!, withClip.clipArtifactId!);
    expect(stored?.bytes).toBe(clip.length);
  });

  it('answers 400 naming the field for a bad query or body, 401 without a key', async () => {
    const bad = await call('GET', '/api/incidents?risk=SEVERE', keyA);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: expect.stringContaining('risk') });
    const cursor = await call('GET', '/api/incidents?cursor=bm9wZQ', keyA);
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json()).toMatchObject({ field: 'cursor', code: ErrorCode.ValidationFailed });
    const body = await call('POST', '/api/incidents', keyA, {
      ...announce('x-00000001', 'c', new Date()),
      startedAt: 'soon',
    });
    expect(body.statusCode).toBe(400);
    expect(body.json()).toMatchObject({ field: expect.stringContaining('startedAt') });
    expect((await h.app.inject({ method: 'GET', url: '/api/incidents' })).statusCode).toBe(401);
  });

  it('records cameras from heartbeats with their incidents of today', async () => {
    const now = new Date();
    await call('POST', '/api/incidents', keyA, announce(`gate-${now.getTime()}`, 'gate', now));
    const beat = await call('POST', '/api/cameras/heartbeat', keyA, {
      cameras: [
        { id: 'gate', name: 'Gate', state: 'live', lastFrameAt: now.toISOString() },
        { id: 'gate-2', name: 'Gate', state: 'reconnecting', lastFrameAt: null },
      ],
    });
    expect(beat.statusCode).toBe(200);
    const list = (await call('GET', '/api/cameras', keyA)).json() as CameraList;
    expect(list.cameras.map((c) => [c.id, c.state, c.incidentsToday])).toEqual([
      ['gate', 'live', 1],
      ['gate-2', 'reconnecting', 0],
    ]);
    expect(((await call('GET', '/api/cameras', keyB)).json() as CameraList).cameras).toEqual([]);
    const empty = await call('POST', '/api/cameras/heartbeat', keyA, { cameras: [] });
    expect(empty.statusCode).toBe(400);
  });
});
