import { chmod, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { FfmpegAdapter, resolveFfmpeg } from '../../src';
import { testClip } from './test-clip';

const ff = new FfmpegAdapter(silentLogger);
let dir: string;

/** A 2 s 160x120 clip in the test folder (testClip). */
const clip = (name: string, faststart: boolean): Promise<string> => testClip(ff, join(dir, name), { faststart });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-ffmpeg-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FfmpegAdapter.probe', () => {
  it('describes a real clip', async () => {
    const info = await ff.probe(await clip('ok.mp4', true));
    expect(info).toMatchObject({
      width: 160,
      height: 120,
      codec: 'h264',
      fps: 10,
      hasAudio: false,
      frameCount: 20,
      pixFmt: 'yuv420p',
    });
    expect(info.durationSeconds).toBeCloseTo(2, 1);
  });

  it('rejects a truncated mp4 (index at the end, lost) as INVALID_VIDEO', async () => {
    const file = await clip('cut-end.mp4', false);
    await truncate(file, 20_000);
    await expect(ff.probe(file)).rejects.toMatchObject({ code: ErrorCode.InvalidVideo });
  });

  it('rejects a truncated faststart mp4 (index intact, data missing) as INVALID_VIDEO', async () => {
    const file = await clip('cut-fs.mp4', true);
    await truncate(file, 20_000);
    await expect(ff.probe(file)).rejects.toMatchObject({ code: ErrorCode.InvalidVideo });
  });

  it('rejects a JPEG named .mp4 as INVALID_VIDEO', async () => {
    const file = join(dir, 'photo.mp4');
    await writeFile(
      file,
      await sharp({ create: { width: 64, height: 48, channels: 3, background: '#888' } })
        .jpeg()
        .toBuffer(),
    );
    await expect(ff.probe(file)).rejects.toMatchObject({
      code: ErrorCode.InvalidVideo,
      message: expect.stringMatching(/still image/),
    });
  });

  it('rejects garbage and empty files as INVALID_VIDEO, a missing file as NOT_FOUND', async () => {
    const garbage = join(dir, 'garbage.mp4');
    await writeFile(garbage, Buffer.from('this is not a video at all'.repeat(50)));
    await expect(ff.probe(garbage)).rejects.toMatchObject({ code: ErrorCode.InvalidVideo });
    const empty = join(dir, 'empty.mp4');
    await writeFile(empty, '');
    await expect(ff.probe(empty)).rejects.toMatchObject({ code: ErrorCode.InvalidVideo });
    await expect(ff.probe(join(dir, 'nope.mp4'))).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('FfmpegAdapter.run', () => {
  it('fails with INVALID_VIDEO and a bounded stderr tail when the input is bad', async () => {
    const file = join(dir, 'bad.mp4');
    await writeFile(file, Buffer.alloc(5000, 7));
    const err = (await ff
      .run(['-i', file, '-f', 'null', '-'], { timeoutMs: 10_000 })
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.InvalidVideo);
    const details = err.details as { stderr: string; exitCode: number };
    expect(details.stderr).toMatch(/Invalid data/);
    expect(details.stderr.length).toBeLessThanOrEqual(4096);
  });

  it('fails with MEDIA_PROCESSING_FAILED on a bad argument (not the input)', async () => {
    await expect(
      ff.run(['-f', 'lavfi', '-i', 'testsrc2=d=1', '-c:v', 'no-such-codec', '-f', 'null', '-'], { timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ code: ErrorCode.MediaProcessingFailed });
  });

  it('kills a run that exceeds its timeout', async () => {
    await expect(
      ff.run(['-re', '-f', 'lavfi', '-i', 'testsrc2=r=10', '-f', 'null', '-'], { timeoutMs: 300 }),
    ).rejects.toMatchObject({
      code: ErrorCode.MediaProcessingFailed,
      details: expect.objectContaining({ reason: 'timeout' }),
    });
  });

  it('stops on abort with the signal reason', async () => {
    const ac = new AbortController();
    const p = ff.run(['-re', '-f', 'lavfi', '-i', 'testsrc2=r=10', '-f', 'null', '-'], {
      timeoutMs: 30_000,
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(new Error('job cancelled')), 200);
    await expect(p).rejects.toThrow('job cancelled');
  });

  it('reads stdin from a buffer and from a stream', async () => {
    const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#0a0' } })
      .jpeg()
      .toBuffer();
    const out1 = join(dir, 'from-buffer.png');
    await ff.run(['-f', 'image2pipe', '-i', 'pipe:0', '-frames:v', '1', out1], { timeoutMs: 10_000, stdin: jpeg });
    expect((await sharp(await readFile(out1)).metadata()).width).toBe(32);
    const out2 = join(dir, 'from-stream.mp4');
    await ff.run(
      [
        '-f',
        'image2pipe',
        '-c:v',
        'mjpeg',
        '-framerate',
        '5',
        '-i',
        'pipe:0',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        out2,
      ],
      {
        timeoutMs: 10_000,
        stdin: Readable.from([jpeg, jpeg, jpeg]),
      },
    );
    expect((await ff.probe(out2)).frameCount).toBe(3);
  });

  it('reports the stdin stream error instead of a pipe error', async () => {
    async function* frames() {
      yield await sharp({ create: { width: 32, height: 32, channels: 3, background: '#0a0' } })
        .jpeg()
        .toBuffer();
      throw new AppError(ErrorCode.InvalidImage, 'frame 1 is broken');
    }
    await expect(
      ff.run(['-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0', '-f', 'null', '-'], {
        timeoutMs: 10_000,
        stdin: Readable.from(frames()),
      }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidImage });
  });

  it('names the binary when it cannot start', async () => {
    const broken = new FfmpegAdapter(silentLogger, { ...resolveFfmpeg(), ffmpeg: join(dir, 'missing-ffmpeg') });
    await expect(broken.run(['-version'], { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: ErrorCode.DependencyUnavailable,
    });
  });
});

describe('FfmpegAdapter.spawn', () => {
  it('streams stdout and stops with SIGTERM', async () => {
    const proc = ff.spawn([
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=32x32:r=10',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      'pipe:1',
    ]);
    const firstChunk = await new Promise<Buffer>((resolve) => proc.stdout.once('data', resolve));
    expect(firstChunk.length).toBeGreaterThan(0);
    await proc.stop();
    // ffmpeg exits on SIGTERM by itself (code 255), before any SIGKILL.
    expect(await proc.exited).toBe(255);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const stubborn = join(dir, 'stubborn-ffmpeg');
    await writeFile(stubborn, '#!/bin/sh\ntrap "" TERM\necho started >&2\nwhile true; do sleep 0.1; done\n');
    await chmod(stubborn, 0o755);
    const adapter = new FfmpegAdapter(silentLogger, { ...resolveFfmpeg(), ffmpeg: stubborn });
    const proc = adapter.spawn([]);
    await new Promise((r) => setTimeout(r, 200));
    await proc.stop(300);
    expect(await proc.exited).toBeNull();
    expect(proc.stderrTail()).toContain('started');
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    const proc = ff.spawn(['-re', '-f', 'lavfi', '-i', 'testsrc2=s=32x32:r=10', '-f', 'null', '-'], {
      signal: ac.signal,
    });
    ac.abort();
    expect(await proc.exited).not.toBe(0);
  });
});
