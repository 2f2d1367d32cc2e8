import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLanguage, BufferType, type Polygon } from '@vigint/contracts';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import type { RecordedGeminiRequest } from '@vigint/testing';
import type { AnalyzeRequest } from '../../src/backend';
import { loadAgentConfig } from '../../src/config';
import { createLocalBackend } from '../../src/local-backend';
import { createRemoteBackend } from '../../src/remote/remote-backend';
import { REPO, useDistributedStack } from './distributed-stack';

/*
 * "Two modes, one code path", checked on the same footage: what the model is sent in local mode (LocalBackend →
 * AnalysisService in this process) and in distributed mode (RemoteBackend → the real gateway → the worker's
 * AnalysisService) — the same images, in the same order, to the same stage, byte for byte.
 */

const t = useDistributedStack('mode-parity');

/** Each model call as the fake Gemini server saw it: the model and the sha256 of each image, in order. */
const callsOf = (requests: RecordedGeminiRequest[]) =>
  requests.map((r) => ({ model: r.model, images: r.images.map((i) => sha256(i.data)) }));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('local and distributed mode send the model the same frames', () => {
  let frames: Buffer[];
  let footage: string;
  beforeAll(async () => {
    // Real footage: the intruder sample at 2 fps, full size, as the capture hands frames to the pipeline.
    footage = await mkdtemp(join(tmpdir(), 'vigint-parity-'));
    await promisify(execFile)('ffmpeg', [
      ...['-v', 'error', '-i', join(REPO, 'samples/intruder.mp4'), '-t', '7', '-vf', 'fps=2', '-q:v', '3'],
      join(footage, '%02d.jpg'),
    ]);
    const names = (await readdir(footage)).filter((f) => f.endsWith('.jpg')).sort();
    frames = await Promise.all(names.map((n) => readFile(join(footage, n))));
  }, 60_000);
  afterAll(async () => {
    if (footage) await rm(footage, { recursive: true, force: true });
  });

  it('screens on the same 3 short frames and confirms on the same 6 long frames, each encoded once', async () => {
    expect(frames.length).toBeGreaterThanOrEqual(12);
    const mask: Polygon = [
      [0, 0],
      [0.3, 0],
      [0.3, 0.3],
      [0, 0.3],
    ];
    const req: AnalyzeRequest = {
      cameraId: 'parity-cam',
      cameraName: 'Parity',
      frames: frames.slice(-4),
      longFrames: frames.slice(-12),
      bufferType: BufferType.Short,
      language: AlertLanguage.En,
      masks: [mask],
    };
    const image = new ImageAdapter();
    const { gemini } = t.stack;

    gemini.reset();
    const config = loadAgentConfig(
      {
        videoInput: join(REPO, 'samples/intruder.mp4'),
        loop: false,
        configFiles: [],
        outbox: t.work,
        fast: true,
        help: false,
      },
      { GOOGLE_API_KEY: 'fake-key', GEMINI_BASE_URL: gemini.baseUrl },
    );
    const local = createLocalBackend(config, { image, ffmpeg: new FfmpegAdapter(silentLogger), log: silentLogger });
    const localResult = await local.analyze(req);
    const localCalls = callsOf(gemini.requests);
    await local.close();

    gemini.reset();
    const remote = await createRemoteBackend({
      apiServerUrl: t.stack.gatewayUrl,
      apiKey: t.stack.apiKey,
      outboxDir: join(t.work, 'parity-outbox'),
      image,
    });
    const remoteResult = await remote.analyze(req);
    const remoteCalls = callsOf(gemini.requests);
    await remote.close();

    // Both stages ran (the fake model reports an intrusion), with 3 then 6 images.
    expect(localCalls.map((c) => c.images.length)).toEqual([3, 6]);
    expect(remoteCalls).toEqual(localCalls);
    // Each image is one encode of a distinct frame: none the raw capture frame, none twice in a call.
    const raw = new Set(frames.map(sha256));
    for (const c of localCalls) for (const h of c.images) expect(raw.has(h)).toBe(false);
    expect(localCalls.map((c) => new Set(c.images).size)).toEqual([3, 6]);
    expect(remoteResult.frame_count).toBe(localResult.frame_count);
    expect(remoteResult.frame_indexes).toEqual(localResult.frame_indexes);
    expect(remoteResult.risk_level).toBe(localResult.risk_level);
  }, 120_000);
});
