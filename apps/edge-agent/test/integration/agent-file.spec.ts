import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import { makeTestVideo } from '@vigint/testing';
import { agentTempDirs, emlFiles, parseEml, runAgent, summaryOf } from './agent-harness';

/** The agent on generated files with --fast, local mode, offline analyzer, .eml outbox. */
describe('edge agent on a video file (--fast, local mode)', { timeout: 45_000 }, () => {
  let work: string;
  let quiet: string;
  let crossing: string;
  const videos: string[] = [];
  const runs: Record<string, ReturnType<typeof runAgent>> = {};
  let hallDirsBefore: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigint-agent-test-'));
    [quiet, crossing] = await Promise.all([
      makeTestVideo({ seconds: 14, noise: true, lightChangeAtSec: 7 }),
      makeTestVideo({ seconds: 20, noise: true, withMovingBox: { startSec: 11, endSec: 15 } }),
    ]);
    videos.push(quiet, crossing);
    await writeFile(
      join(work, 'masked.yaml'),
      [
        'cameras:',
        '  - id: masked',
        `    video_input: ${crossing}`,
        '    motion:',
        '      mask:',
        '        - [[0, 0.25], [1, 0.25], [1, 0.85], [0, 0.85]]',
      ].join('\n'),
    );
    await writeFile(
      join(work, 'partly-masked.yaml'),
      [
        'cameras:',
        '  - id: partly',
        `    video_input: ${crossing}`,
        '    motion:',
        '      mask:',
        '        - [[0, 0], [0.3, 0], [0.3, 1], [0, 1]]',
      ].join('\n'),
    );
    hallDirsBefore = await agentTempDirs('hall');
    // The four agents run side by side (each --fast run is short and mostly start-up); the tests await theirs.
    runs.quiet = runAgent(['--video-input', quiet, '--fast', '--outbox', join(work, 'quiet')]);
    runs.crossing = runAgent([
      '--video-input',
      crossing,
      '--fast',
      '--outbox',
      join(work, 'crossing'),
      '--camera-id',
      'hall',
    ]);
    runs.masked = runAgent(['--config', join(work, 'masked.yaml'), '--fast', '--outbox', join(work, 'masked')]);
    runs.partly = runAgent([
      '--config',
      join(work, 'partly-masked.yaml'),
      '--fast',
      '--outbox',
      join(work, 'partly-masked'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await Promise.all(videos.map((v) => rm(dirname(v), { recursive: true, force: true })));
  });

  it('a quiet scene with sensor noise and a light change: no motion, no AI call, no alert', async () => {
    const outbox = join(work, 'quiet');
    const run = await runs.quiet!;
    expect(run.code).toBe(0);
    const [cam] = summaryOf(run);
    expect(cam!.framesRead).toBeGreaterThanOrEqual(65);
    expect(cam!.motionFrames).toBe(0);
    expect(cam!.analyses).toBe(0);
    expect(cam!.incidents).toBe(0);
    expect(await emlFiles(outbox)).toHaveLength(0);
    expect(run.stdout).toMatch(/offline motion-only analyzer/);
  });

  it('a person-sized object crossing: one incident, one .eml whose clip has the pre-roll', async () => {
    const outbox = join(work, 'crossing');
    const run = await runs.crossing!;
    expect(run.code).toBe(0);
    const [cam] = summaryOf(run);
    expect(cam!.cameraId).toBe('hall');
    expect(cam!.motionFrames).toBeGreaterThan(5);
    expect(cam!.incidents).toBe(1);
    expect(cam!.alerts).toHaveLength(1);
    expect(cam!.alerts[0]!.status).toBe('sent');
    const files = await emlFiles(outbox);
    expect(files).toHaveLength(1);
    expect(run.stdout).toContain(files[0]!);

    const mail = await parseEml(files[0]!);
    const clip = mail.attachments.find((a) => a.contentType === 'video/mp4');
    expect(clip).toBeDefined();
    const clipFile = join(work, 'clip.mp4');
    await writeFile(clipFile, clip!.content);
    const info = await new FfmpegAdapter(silentLogger).probe(clipFile);
    // Motion starts at ~11 s: 10 s pre-roll + the crossing + 5 s post-roll, cut on 1 s keyframes.
    expect(info.durationSeconds).toBeGreaterThanOrEqual(8);
    expect(cam!.alerts[0]!.clipRange![0]).toBeLessThanOrEqual(2);
    // The temp dirs of the camera are gone.
    expect(await agentTempDirs('hall')).toEqual(hallDirsBefore);
  });

  it('a mask over the crossing zone hides the motion: no AI call, no alert', async () => {
    const outbox = join(work, 'masked');
    const run = await runs.masked!;
    expect(run.code).toBe(0);
    const [cam] = summaryOf(run);
    expect(cam!.framesRead).toBeGreaterThan(90);
    expect(cam!.motionFrames).toBe(0);
    expect(cam!.analyses).toBe(0);
    expect(await emlFiles(outbox)).toHaveLength(0);
  });

  it('with motion outside a mask, the alert goes out with the masked zone black in the clip and the snapshot', async () => {
    const outbox = join(work, 'partly-masked');
    const run = await runs.partly!;
    expect(run.code).toBe(0);
    const files = await emlFiles(outbox);
    expect(files).toHaveLength(1);
    const mail = await parseEml(files[0]!);
    const clip = mail.attachments.find((a) => a.contentType === 'video/mp4')!;
    const clipFile = join(work, 'masked-clip.mp4');
    await writeFile(clipFile, clip.content);
    const ffmpeg = new FfmpegAdapter(silentLogger);
    const png = join(work, 'masked-frame.png');
    await ffmpeg.run(['-ss', '1', '-i', clipFile, '-frames:v', '1', png], { timeoutMs: 20_000 });
    const image = new ImageAdapter();
    const gray = await image.grayscale(await readFile(png), 40);
    const row = Math.floor(gray.height * 0.1);
    expect(gray.data[row * gray.width + 4]!).toBeLessThan(20); // x = 0.1: masked
    expect(gray.data[row * gray.width + 30]!).toBeGreaterThan(60); // x = 0.75: the wall
    const thumb = mail.attachments.find((a) => a.contentType === 'image/jpeg');
    if (thumb) {
      const t = await image.grayscale(thumb.content, 40);
      expect(t.data[Math.floor(t.height * 0.1) * t.width + 4]!).toBeLessThan(20);
    }
  });
});
