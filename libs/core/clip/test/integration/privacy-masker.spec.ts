import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { silentLogger } from '@vigint/logger';
import { makeTestVideo } from '@vigint/testing';
import { PrivacyMasker } from '../../src';

/** Privacy masks reach the clip too: the stream-copied recording carries the full picture. */
describe('PrivacyMasker', { timeout: 40_000 }, () => {
  const ffmpeg = new FfmpegAdapter(silentLogger);
  const image = new ImageAdapter();
  let video: string;

  beforeAll(async () => {
    video = await makeTestVideo({ seconds: 3, width: 320, height: 180 });
  });
  afterAll(() => rm(dirname(video), { recursive: true, force: true }));

  it('blacks out the masked polygon in every frame and keeps the rest, duration and size', async () => {
    const out = join(dirname(video), 'masked.mp4');
    await new PrivacyMasker(image, ffmpeg).maskClip(
      video,
      [
        [
          [0.5, 0],
          [1, 0],
          [1, 1],
          [0.5, 1],
        ],
      ],
      out,
    );
    const info = await ffmpeg.probe(out);
    expect(info.width).toBe(320);
    expect(info.height).toBe(180);
    expect(info.durationSeconds).toBeGreaterThan(2.5);
    const frame = join(dirname(video), 'frame.png');
    await ffmpeg.run(['-ss', '2', '-i', out, '-frames:v', '1', frame], { timeoutMs: 20_000 });
    const gray = await image.grayscale(await readFile(frame), 32);
    const at = (x: number, y: number) => gray.data[y * gray.width + x]!;
    // Right half: black. Left half: the wall (0x506070 ≈ luma 95).
    expect(at(28, Math.floor(gray.height / 2))).toBeLessThan(20);
    expect(at(2, 1)).toBeGreaterThan(60);
  });
});
