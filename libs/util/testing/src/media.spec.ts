import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { makeBombPng, makeJpegFrames, makeTestJpeg, makeTestSegments, makeTestVideo } from './media';

const ffmpeg = new FfmpegAdapter(silentLogger);

/** Mean luma of the frame at `t` seconds, through ffmpeg's own decoder. */
async function frameStats(file: string, t: number): Promise<{ mean: number; right: number }> {
  const png = `${file}.${t}.png`;
  await ffmpeg.run(['-ss', String(t), '-i', file, '-frames:v', '1', png], { timeoutMs: 20_000 });
  const { data, info } = await sharp(png).grayscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  let right = 0;
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const v = data[(y * info.width + x) * info.channels]!;
      sum += v;
      if (x >= info.width / 2) right += v;
    }
  }
  return { mean: sum / (info.width * info.height), right: right / ((info.width / 2) * info.height) };
}

describe('makeTestVideo', () => {
  it('makes the asked size, rate and length, with a crossing box and a light change', { timeout: 30_000 }, async () => {
    const file = await makeTestVideo({
      seconds: 4,
      width: 320,
      height: 180,
      fps: 10,
      withMovingBox: { startSec: 1, endSec: 3 },
      lightChangeAtSec: 3.5,
      audio: true,
    });
    try {
      const info = await ffmpeg.probe(file);
      expect(info).toMatchObject({ width: 320, height: 180, fps: 10, codec: 'h264', hasAudio: true, frameCount: 40 });
      const before = await frameStats(file, 0.5);
      const crossing = await frameStats(file, 2.4); // box on the right half
      const lit = await frameStats(file, 3.8);
      expect(crossing.right).toBeGreaterThan(before.right + 5);
      expect(lit.mean).toBeGreaterThan(before.mean + 15);
    } finally {
      await rm(dirname(file), { recursive: true, force: true });
    }
  });

  it('splits a recording into segments', { timeout: 30_000 }, async () => {
    const rec = await makeTestSegments({ seconds: 4, width: 160, height: 90, segmentSeconds: 2 });
    try {
      expect(rec.files).toHaveLength(2);
      expect(rec.starts).toEqual([0, 2]);
    } finally {
      await rm(rec.dir, { recursive: true, force: true });
    }
  });
});

describe('makeTestJpeg / makeJpegFrames / makeBombPng', () => {
  it('makes deterministic JPEGs of the asked size', async () => {
    const a = await makeTestJpeg({ width: 64, height: 48, seed: 2 });
    expect(await sharp(a).metadata()).toMatchObject({ width: 64, height: 48, format: 'jpeg' });
    expect(a.equals(await makeTestJpeg({ width: 64, height: 48, seed: 2 }))).toBe(true);
    expect(a.equals(await makeTestJpeg({ width: 64, height: 48, seed: 3 }))).toBe(false);
  });

  it('makes frames that differ from each other', async () => {
    const frames = await makeJpegFrames(3, { width: 96, height: 64 });
    expect(frames).toHaveLength(3);
    expect(frames[0]!.equals(frames[2]!)).toBe(false);
  });

  it('makes a tiny PNG declaring a huge size', async () => {
    const bomb = makeBombPng(50_000, 40_000);
    expect(bomb.length).toBeLessThan(100);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({
      width: 50_000,
      height: 40_000,
      format: 'png',
    });
  });
});
