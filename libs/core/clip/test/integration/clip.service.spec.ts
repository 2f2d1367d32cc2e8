import { readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorCode, VideoFormat } from '@vigint/contracts';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import {
  makeJpegFrames,
  makeTempDir,
  makeTestJpeg,
  makeTestSegments,
  makeTestVideo,
  type TestSegments,
} from '@vigint/testing';
import { ClipService, planClip } from '../../src';

const ffmpeg = new FfmpegAdapter(silentLogger);
const clips = new ClipService(ffmpeg, silentLogger);
let dir: string;
let frames: Buffer[];
const cleanup: string[] = [];

beforeAll(async () => {
  dir = await makeTempDir('clip-test');
  // Odd size on purpose: yuv420p needs even dimensions.
  frames = await makeJpegFrames(25, { width: 321, height: 241 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.part'));
}

describe('framesToVideo', () => {
  it('encodes every frame into a phone-playable H.264 mp4', async () => {
    const outFile = join(dir, 'frames.mp4');
    const result = await clips.framesToVideo(frames, { fps: 10, format: VideoFormat.Mp4, outFile });
    expect(result).toMatchObject({
      codec: 'h264',
      pixFmt: 'yuv420p',
      frameCount: 25,
      framesProcessed: 25,
      width: 320,
      height: 240,
    });
    expect(result.durationSeconds).toBeCloseTo(2.5, 1);
    const probed = await ffmpeg.probe(outFile);
    expect(probed.frameCount).toBe(25);
    expect(await leftovers()).toEqual([]);
  });

  it('accepts an async iterable and PNG frames, and writes VP9 webm', async () => {
    const png = await makeTestJpeg({ width: 320, height: 240, format: 'png' });
    async function* source() {
      for (const f of frames.slice(0, 9)) yield f;
      yield png;
    }
    const result = await clips.framesToVideo(source(), {
      fps: 5,
      format: VideoFormat.Webm,
      outFile: join(dir, 'frames.webm'),
    });
    expect(result).toMatchObject({ codec: 'vp9', framesProcessed: 10, frameCount: 10 });
    expect(result.durationSeconds).toBeCloseTo(2, 1);
  });

  it('fails with INVALID_IMAGE (permanent) on a frame that does not decode, leaving no file', async () => {
    const outFile = join(dir, 'broken.mp4');
    const bad = [frames[0]!, frames[1]!, Buffer.from('<html>not a frame</html>'), frames[2]!];
    const err = (await clips
      .framesToVideo(bad, { fps: 10, format: VideoFormat.Mp4, outFile })
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.InvalidImage);
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/frame 2/);
    await expect(stat(outFile)).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it.each([0, -1, 121, Number.NaN])('rejects fps %s', async (fps) => {
    await expect(
      clips.framesToVideo(frames, { fps, format: VideoFormat.Mp4, outFile: join(dir, 'x.mp4') }),
    ).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'fps',
    });
  });

  it('rejects an unknown format and an empty frame list', async () => {
    await expect(
      clips.framesToVideo(frames, { fps: 10, format: 'avi' as VideoFormat, outFile: join(dir, 'x.avi') }),
    ).rejects.toMatchObject({
      code: ErrorCode.UnsupportedFormat,
      field: 'video_format',
    });
    await expect(
      clips.framesToVideo([], { fps: 10, format: VideoFormat.Mp4, outFile: join(dir, 'x.mp4') }),
    ).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
  });
});

describe('compressToSize', () => {
  let source: string;
  beforeAll(async () => {
    // Noisy 720p at 5 Mb/s with audio: ~7.5 MB, hard to compress.
    source = await makeTestVideo({
      seconds: 12,
      width: 1280,
      height: 720,
      fps: 25,
      noise: 20,
      withMovingBox: { startSec: 2, endSec: 9 },
      audio: true,
      bitrate: '5M',
    });
    cleanup.push(dirname(source));
  });

  it('fits a 12 s 720p clip under 2 MB and keeps its duration', async () => {
    const maxSizeBytes = 2 * 1024 * 1024;
    const original = await ffmpeg.probe(source);
    expect(original.sizeBytes).toBeGreaterThan(maxSizeBytes);
    const outFile = join(dir, 'small.mp4');
    const result = await clips.compressToSize(source, outFile, { maxSizeBytes });
    const out = await ffmpeg.probe(outFile);
    expect(out.sizeBytes).toBeLessThanOrEqual(maxSizeBytes);
    expect(result.compressedSize).toBe(out.sizeBytes);
    expect(result.originalSize).toBe(original.sizeBytes);
    expect(Math.abs(out.durationSeconds - original.durationSeconds)).toBeLessThanOrEqual(0.5);
    expect(out).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', hasAudio: true });
    expect(result.passes).toBeGreaterThanOrEqual(1);
  });

  it('honours a small limit by shrinking the picture, or says clearly that it is too small', async () => {
    const outFile = join(dir, 'tiny.mp4');
    const result = await clips.compressToSize(source, outFile, { maxSizeBytes: 150_000 });
    expect((await stat(outFile)).size).toBeLessThanOrEqual(150_000);
    expect(result.height).toBeLessThan(720);
    expect(Math.abs(result.durationSeconds - 12)).toBeLessThanOrEqual(0.5);

    await expect(
      clips.compressToSize(source, join(dir, 'impossible.mp4'), { maxSizeBytes: 20_000 }),
    ).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
      field: 'max_size_mb',
      message: expect.stringMatching(/too small/),
    });
  });

  it('aims lower with a lower quality_reduction', async () => {
    const small = await makeTestVideo({ seconds: 4, width: 480, height: 270, fps: 15, noise: 20, bitrate: '3M' });
    cleanup.push(dirname(small));
    const a = await clips.compressToSize(small, join(dir, 'q85.mp4'), { maxSizeBytes: 600_000 });
    const b = await clips.compressToSize(small, join(dir, 'q50.mp4'), { maxSizeBytes: 600_000, qualityReduction: 0.5 });
    expect(a.compressedSize).toBeLessThanOrEqual(600_000);
    expect(b.compressedSize).toBeLessThan(a.compressedSize * 0.8);
  });

  it('stops on abort, leaving no output', async () => {
    const ac = new AbortController();
    const outFile = join(dir, 'aborted.mp4');
    setTimeout(() => ac.abort(new Error('job cancelled')), 300);
    await expect(clips.compressToSize(source, outFile, { maxSizeBytes: 1_000_000, signal: ac.signal })).rejects.toThrow(
      'job cancelled',
    );
    await expect(stat(outFile)).rejects.toThrow();
  });

  it('copies a video already under the limit as is', async () => {
    const small = join(dir, 'frames.mp4');
    const result = await clips.compressToSize(small, join(dir, 'copy.mp4'), { maxSizeBytes: 10_000_000 });
    expect(result.passes).toBe(0);
    expect(result.compressedSize).toBe((await stat(small)).size);
  });

  it('rejects bad quality_reduction values', async () => {
    for (const qualityReduction of [0, 1.5, -1]) {
      await expect(
        clips.compressToSize(source, join(dir, 'q.mp4'), { maxSizeBytes: 1e6, qualityReduction }),
      ).rejects.toMatchObject({
        field: 'quality_reduction',
      });
    }
  });

  it('rejects a truncated mp4 and a JPEG posing as a video with INVALID_VIDEO', async () => {
    const truncated = join(dir, 'truncated.mp4');
    await makeTestVideo({ seconds: 2, noise: true, outFile: truncated });
    await truncate(truncated, Math.floor((await stat(truncated)).size / 3));
    await expect(clips.compressToSize(truncated, join(dir, 't.mp4'), { maxSizeBytes: 100_000 })).rejects.toMatchObject({
      code: ErrorCode.InvalidVideo,
    });
    const jpegVideo = join(dir, 'jpeg.mp4');
    await writeFile(jpegVideo, await makeTestJpeg({ width: 640, height: 480 }));
    await expect(clips.compressToSize(jpegVideo, join(dir, 'j.mp4'), { maxSizeBytes: 100_000 })).rejects.toMatchObject({
      code: ErrorCode.InvalidVideo,
    });
  });
});

describe('cutFromSegments', () => {
  let rec: TestSegments;
  beforeAll(async () => {
    rec = await makeTestSegments({ seconds: 12, segmentSeconds: 2, noise: true, audio: true });
    cleanup.push(rec.dir);
  });

  it('cuts the planned window by stream copy with the expected duration', async () => {
    expect(rec.files).toHaveLength(6);
    // Event from 6.0 to 7.5 s, 3 s pre-roll, 1.5 s post-roll → 3..9 s.
    const plan = planClip({
      segments: rec.files.map((file, i) => ({ file, start: rec.starts[i]! })),
      eventStart: 6,
      eventEnd: 7.5,
      preCapture: 3,
      postCapture: 1.5,
    })!;
    expect(plan.segmentFiles).toEqual(rec.files.slice(1, 5));
    const info = await clips.cutFromSegments(plan.segmentFiles, plan, join(dir, 'cut.mp4'));
    expect(info.durationSeconds).toBeGreaterThan(5.8);
    expect(info.durationSeconds).toBeLessThan(7.2);
    expect(info).toMatchObject({ codec: 'h264', hasAudio: true, width: 640, height: 360 });
  });

  it('rejects an empty list, a reversed window, and a missing segment', async () => {
    await expect(clips.cutFromSegments([], { startTime: 0, endTime: 1 }, join(dir, 'c.mp4'))).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    await expect(
      clips.cutFromSegments(rec.files, { startTime: 3, endTime: 1 }, join(dir, 'c.mp4')),
    ).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
    await expect(
      clips.cutFromSegments([join(dir, 'gone.ts')], { startTime: 0, endTime: 1 }, join(dir, 'c.mp4')),
    ).rejects.toBeInstanceOf(AppError);
  });
});

describe('cutClip', () => {
  let rec: TestSegments;
  let sparse: TestSegments;
  beforeAll(async () => {
    rec = await makeTestSegments({ seconds: 12, segmentSeconds: 2, width: 320, height: 180, audio: true });
    // A "smart codec" camera: one keyframe every 6 s, so segments are 6 s long whatever was asked.
    sparse = await makeTestSegments({ seconds: 12, segmentSeconds: 2, width: 320, height: 180, gopSeconds: 6 });
    cleanup.push(rec.dir, sparse.dir);
  });
  const planFor = (r: TestSegments, eventStart: number, eventEnd: number, pre: number, post: number) =>
    planClip({
      segments: r.files.map((file, i) => ({ file, start: r.starts[i]! })),
      eventStart,
      eventEnd,
      preCapture: pre,
      postCapture: post,
    })!;

  it('copies an H.264 recording, without sound unless asked, with AAC when asked', async () => {
    const plan = planFor(rec, 6, 7.5, 3, 1.5);
    const silent = await clips.cutClip(plan, join(dir, 'cut-silent.mp4'));
    expect(silent).toMatchObject({ ok: true, method: 'copy' });
    if (!silent.ok) return;
    expect(silent.info).toMatchObject({ codec: 'h264', hasAudio: false });
    const loud = await clips.cutClip(plan, join(dir, 'cut-audio.mp4'), { audio: true });
    if (!loud.ok) throw new Error(loud.clipError);
    expect(loud.info).toMatchObject({ codec: 'h264', hasAudio: true, audioCodec: 'aac' });
    expect(loud.info.durationSeconds).toBeGreaterThan(5.8);
    expect(loud.info.durationSeconds).toBeLessThan(7.2);
  });

  it('re-encodes the window when the keyframe before the start is far (long GOP): the clip starts on time', async () => {
    // Wanted 7..10 s; the keyframe before is at 6 s — a copy would start 1 s early (allowed up to 0.5 here)
    // and, with 10 s GOPs, up to 10 s before the pre-roll.
    const plan = planFor(sparse, 8, 9, 1, 1);
    const out = await clips.cutClip(plan, join(dir, 'cut-sparse.mp4'), { maxEarlyStartSeconds: 0.5 });
    if (!out.ok) throw new Error(out.clipError);
    expect(out.method).toBe('transcode');
    expect(out.reason).toMatch(/sparse keyframes/);
    expect(out.info.codec).toBe('h264');
    expect(out.info.durationSeconds).toBeGreaterThan(2.8);
    expect(out.info.durationSeconds).toBeLessThan(3.3);
  });

  it('starts a copy on a keyframe just after the wanted start rather than a GOP before it', async () => {
    // The keyframe at 6 s is 30 ms after the wanted start 5.97: seeking to 5.97 would land on the one at 0.
    const plan = planFor(sparse, 6.97, 8, 1, 1);
    const out = await clips.cutClip(plan, join(dir, 'cut-late.mp4'));
    if (!out.ok) throw new Error(out.clipError);
    expect(out.method).toBe('copy');
    expect(out.info.durationSeconds).toBeLessThan(3.4);
  });

  it('returns a typed failure (never throws) when the recording is unreadable', async () => {
    const bad = join(dir, 'bad.ts');
    await writeFile(bad, Buffer.alloc(2048, 7));
    const out = await clips.cutClip(
      {
        segmentFiles: [bad],
        startTime: 0,
        endTime: 2,
        clipStart: 0,
        clipEnd: 2,
        missingPreSeconds: 0,
        missingPostSeconds: 0,
      },
      join(dir, 'cut-bad.mp4'),
    );
    expect(out).toMatchObject({ ok: false, clipError: expect.stringMatching(/clip could not be made/) });
    await expect(stat(join(dir, 'cut-bad.mp4'))).rejects.toThrow();
  });
});
