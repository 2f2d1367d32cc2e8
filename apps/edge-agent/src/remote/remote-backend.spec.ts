import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VigintClient, wireIdempotencyKey } from '@vigint/api-client';
import {
  AlertLanguage,
  BufferType,
  CameraState,
  IncidentType,
  RiskLevel,
  type AnalysisResult,
  type Polygon,
} from '@vigint/contracts';
import { ImageAdapter } from '@vigint/image';
import { createLogger } from '@vigint/logger';
import type { DeliveryResult, Incident } from '../backend';
import { FakeGateway } from './fake-gateway.testing';
import { RemoteBackend, type RemoteBackendOptions } from './remote-backend';

let dir: string;
let gw: FakeGateway;
const backends: RemoteBackend[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-remote-'));
  gw = new FakeGateway();
  await gw.start();
});

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await gw.stop();
  await rm(dir, { recursive: true, force: true });
});

async function open(extra: Partial<RemoteBackendOptions> = {}): Promise<RemoteBackend> {
  const client = new VigintClient({
    baseUrl: gw.url,
    apiKey: 'test-key',
    timeoutMs: 2000,
    backoff: { baseDelayMs: 5, maxDelayMs: 20 },
  });
  const backend = await RemoteBackend.open({
    client,
    baseUrl: gw.url,
    outboxDir: join(dir, 'outbox'),
    image: new ImageAdapter(),
    replayBaseDelayMs: 20,
    replayMaxDelayMs: 80,
    drainTimeoutMs: 2000,
    ...extra,
  });
  backends.push(backend);
  return backend;
}

const ANALYSIS: AnalysisResult = {
  has_security_incident: true,
  incident_detected: true,
  incident: true,
  incident_type: IncidentType.Intrusion,
  risk_level: RiskLevel.High,
  analysis: 'A person climbs the fence.',
  description: 'A person climbs the fence.',
  confidence: 0.9,
  frame_count: 3,
  frame_indexes: [1],
  model: 'fake',
  offline: false,
  token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  ai_calls: [],
};

function incident(n: number): Incident {
  const startedAt = new Date(1_700_000_000_000 + n * 1000);
  return {
    idempotencyKey: `cam-1-${startedAt.getTime()}`,
    cameraId: 'cam-1',
    cameraName: 'Front door',
    startedAt,
    endedAt: startedAt,
    detectedAt: startedAt,
    riskLevel: RiskLevel.High,
    analysis: ANALYSIS,
    masks: [],
    language: AlertLanguage.En,
  };
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ANNOUNCE_BASE = {
  cameraId: 'porch',
  cameraName: 'Porch',
  startedAt: new Date(),
  detectedAt: new Date(),
  riskLevel: RiskLevel.High,
};

describe('RemoteBackend', () => {
  it('blacks out masked zones and shrinks frames before they leave for analysis', async () => {
    const white = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();
    const backend = await open();
    const leftHalf: Polygon = [
      [0, 0],
      [0.5, 0],
      [0.5, 1],
      [0, 1],
    ];
    const result = await backend.analyze({
      cameraId: 'cam-1',
      cameraName: 'Front door',
      frames: [white, white],
      bufferType: BufferType.Short,
      language: AlertLanguage.En,
      masks: [leftHalf],
    });
    expect(result).toMatchObject({ has_security_incident: false, risk_level: 'NONE' });
    expect(result).not.toHaveProperty('success');
    const form = gw.analyzeBodies[0]!;
    expect(form.get('buffer_type')).toBe('short');
    expect(form.get('camera_name')).toBe('Front door');
    const sent = form.getAll('frames') as File[];
    expect(sent).toHaveLength(2);
    const { data, info } = await sharp(Buffer.from(await sent[0]!.arrayBuffer()))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Math.max(info.width, info.height)).toBeLessThanOrEqual(768);
    const at = (x: number, y: number) => data[y * info.width + x]!;
    expect(at(Math.round(info.width * 0.25), Math.round(info.height / 2))).toBeLessThan(30); // masked: black
    expect(at(Math.round(info.width * 0.75), Math.round(info.height / 2))).toBeGreaterThan(220); // open: white
  });

  it('sends the frames local mode screens and confirms on: the last 3 short ones, 6 spread over the long buffer', async () => {
    // Each frame a distinct grey, to tell them apart (and their order) after the AI encode.
    const grey = (v: number) =>
      sharp({ create: { width: 64, height: 48, channels: 3, background: { r: v, g: v, b: v } } })
        .jpeg()
        .toBuffer();
    const short = await Promise.all([10, 20, 30, 40].map(grey));
    const long = await Promise.all([100, 110, 120, 130, 140, 150, 160, 170, 180, 190].map(grey));
    const backend = await open();
    await backend.analyze({
      cameraId: 'cam-1',
      cameraName: 'Front door',
      frames: short,
      longFrames: long,
      bufferType: BufferType.Short,
      language: AlertLanguage.En,
      masks: [],
    });
    const form = gw.analyzeBodies[0]!;
    const level = async (f: unknown) =>
      Math.round((await sharp(Buffer.from(await (f as File).arrayBuffer())).stats()).channels[0]!.mean / 10) * 10;
    expect(await Promise.all(form.getAll('frames').map(level))).toEqual([20, 30, 40]);
    expect(await Promise.all(form.getAll('confirm_frames').map(level))).toEqual([100, 120, 140, 150, 170, 190]);
    expect(form.get('frame_count')).toBe('4');
  });

  it("sends a camera's language only when its config sets one, so the gateway uses the client's otherwise", async () => {
    const frame = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const backend = await open({ camerasWithLanguage: new Set(['cam-fr']) });
    for (const cameraId of ['cam-fr', 'cam-1'])
      await backend.analyze({
        cameraId,
        cameraName: cameraId,
        frames: [frame],
        bufferType: BufferType.Short,
        language: cameraId === 'cam-fr' ? AlertLanguage.Fr : AlertLanguage.En,
        masks: [],
      });
    expect(gw.analyzeBodies.map((f) => f.get('language'))).toEqual(['fr', null]);
  });

  it('falls back to a local analysis when the gateway is unreachable, if given one', async () => {
    await gw.stop();
    const backend = await open({
      fallbackAnalyze: async () => ({ ...ANALYSIS, offline: true, model: 'offline' }),
    });
    const white = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } })
      .jpeg()
      .toBuffer();
    const req = {
      cameraId: 'c',
      cameraName: 'c',
      frames: [white],
      bufferType: BufferType.Short,
      language: AlertLanguage.En,
      masks: [],
    };
    expect(await backend.analyze(req)).toMatchObject({ offline: true });
    const strict = await open({ outboxDir: join(dir, 'outbox2') });
    await expect(strict.analyze(req)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', kind: 'network' });
  });

  it('delivers an incident with its clip and idempotency key, and reports where it went', async () => {
    const backend = await open();
    const clipFile = join(dir, 'clip.mp4');
    await writeFile(clipFile, Buffer.alloc(50_000, 1));
    const out = await backend.deliver(incident(1), clipFile);
    expect(out).toMatchObject({ status: 'sent', clipBytes: 50_000, messageId: '<cam-1-1700000001000@fake>' });
    expect(out.destination).toBe(`gateway:${gw.url} → owner@example.com`);
    expect(gw.mails).toHaveLength(1);
    expect(gw.mails[0]).toMatchObject({
      key: 'cam-1-1700000001000',
      // client_id carries the camera's id (duplicate scenes are per id); its name goes in camera_name.
      clientId: 'cam-1',
      clipName: 'cam-1-1700000001000.mp4',
    });
    expect(gw.mails[0]!.clip!.length).toBe(50_000);
  });

  it('queues incidents while the gateway is down and replays them in order when it returns', async () => {
    await gw.stop();
    const replayed: Array<[string, DeliveryResult]> = [];
    const backend = await open({ onDelivered: (key, r) => replayed.push([key, r]) });
    for (let n = 1; n <= 3; n++) {
      const clipFile = join(dir, `clip-${n}.mp4`);
      await writeFile(clipFile, `clip ${n}`);
      const out = await backend.deliver(incident(n), clipFile);
      expect(out.status).toBe('queued');
      expect(out.destination).toMatch(/^outbox:.*pending/);
      await rm(clipFile);
    }
    const offline = await backend.notify({
      kind: 'camera_offline',
      cameraId: 'cam-1',
      cameraName: 'Front door',
      at: new Date(),
      seconds: 60,
      idempotencyKey: 'cam-1-offline-1',
    });
    expect(offline.status).toBe('queued');
    expect(backend.pending).toBe(4);
    expect(backend.describe()).toContain('4 pending');

    await gw.start();
    await waitFor(() => replayed.length === 4);
    expect(gw.mails.map((m) => [m.key, m.clip?.toString()])).toEqual([
      ['cam-1-1700000001000', 'clip 1'],
      ['cam-1-1700000002000', 'clip 2'],
      ['cam-1-1700000003000', 'clip 3'],
      ['cam-1-offline-1', undefined],
    ]);
    expect(gw.mails[3]!.analysis).toContain('has sent no frames for 60 s');
    expect(replayed.map(([, r]) => r.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toEqual([]);
  });

  it('retries an alert the gateway answered 207 failed, and mails it once', async () => {
    gw.mode = 'mail-fails-once';
    const delivered: DeliveryResult[] = [];
    const backend = await open({ onDelivered: (_k, r) => delivered.push(r) });
    const first = await backend.deliver(incident(1), join(dir, 'none.mp4')).catch((e: unknown) => e);
    // No clip file at all is the caller's bug, not the server's: reported, never queued forever.
    expect(first).toBeInstanceOf(Error);
    const clipFile = join(dir, 'clip.mp4');
    await writeFile(clipFile, 'clip');
    expect((await backend.deliver(incident(2), clipFile)).status).toBe('queued');
    await waitFor(() => delivered.length === 1);
    expect(delivered[0]!.status).toBe('sent');
    expect(gw.alertAttempts).toEqual(['cam-1-1700000002000', 'cam-1-1700000002000']);
    expect(gw.mails.map((m) => m.key)).toEqual(['cam-1-1700000002000']);
  });

  it('announces an open incident under the key its alert will carry, and posts camera heartbeats', async () => {
    const backend = await open();
    const key = 'porch.cam-1767000000000';
    await backend.announce({
      idempotencyKey: key,
      cameraId: 'porch.cam',
      cameraName: 'Porch',
      startedAt: new Date('2026-12-01T10:00:00Z'),
      detectedAt: new Date('2026-12-01T10:00:02Z'),
      riskLevel: RiskLevel.High,
      analysis: ANALYSIS,
      // A full-size snapshot: it leaves shrunk to the AI frames' size, for the first notice.
      snapshot: await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#345' } })
        .jpeg()
        .toBuffer(),
    });
    expect(gw.announced).toHaveLength(1);
    const sent = Buffer.from((gw.announced[0] as { snapshotJpeg: string }).snapshotJpeg, 'base64');
    expect((await sharp(sent).metadata()).width).toBe(768);
    // The key as the gateway sees the alert's Idempotency-Key, so the alert finds this record.
    expect(gw.announced[0]).toMatchObject({
      idempotencyKey: wireIdempotencyKey(key),
      cameraId: 'porch.cam',
      riskLevel: 'HIGH',
      startedAt: '2026-12-01T10:00:00.000Z',
    });
    await backend.heartbeat([
      {
        cameraId: 'porch.cam',
        cameraName: 'Porch',
        state: CameraState.Live,
        lastFrameAt: new Date('2026-12-01T10:00:05Z'),
        alertThreshold: RiskLevel.Medium,
      },
    ]);
    expect(gw.heartbeats).toEqual([
      {
        cameras: [
          {
            id: 'porch.cam',
            name: 'Porch',
            state: 'live',
            lastFrameAt: '2026-12-01T10:00:05.000Z',
            alertThreshold: 'MEDIUM',
          },
        ],
      },
    ]);
    // A gateway outage loses neither call's caller: both resolve (the alert records the incident later).
    gw.mode = '503';
    await expect(
      backend.announce({ ...ANNOUNCE_BASE, analysis: ANALYSIS, idempotencyKey: 'porch-2' }),
    ).resolves.toBeUndefined();
    await expect(backend.heartbeat([])).resolves.toBeUndefined();
  });

  it('warns once when the gateway refuses its heartbeats (a camera quota), not at every beat', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const log = createLogger({ name: 'test', level: 'debug', destination });
    const backend = await open({ log });
    gw.mode = 'camera-quota';
    const beat = () =>
      backend.heartbeat([
        {
          cameraId: 'garage',
          cameraName: 'Garage',
          state: CameraState.Live,
          lastFrameAt: new Date(),
          alertThreshold: RiskLevel.Medium,
        },
      ]);
    for (let i = 0; i < 3; i++) await expect(beat()).resolves.toBeUndefined();
    const warned = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: string });
    const refusals = warned.filter((l) => l.msg === 'heartbeat refused by the gateway');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.level).toBe(40);
    expect(refusals[0]!.err).toContain('at most 1 cameras per client');
    // Once accepted again, a new refusal is warned about again.
    gw.mode = 'up';
    await beat();
    gw.mode = 'camera-quota';
    await beat();
    expect(lines.filter((l) => l.includes('heartbeat refused by the gateway'))).toHaveLength(2);
  });

  it('close() leaves undelivered alerts on disk; the next start sends them once', async () => {
    await gw.stop();
    const first = await open({ drainTimeoutMs: 50 });
    const clipFile = join(dir, 'clip.mp4');
    await writeFile(clipFile, 'clip');
    await first.deliver(incident(1), clipFile);
    await first.close();
    backends.splice(backends.indexOf(first), 1);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toHaveLength(1);

    await gw.start();
    const second = await open();
    await second.close(); // drains
    expect(gw.mails.map((m) => m.key)).toEqual(['cam-1-1700000001000']);
    expect(await readdir(join(dir, 'outbox', 'pending'))).toEqual([]);
  });
});
