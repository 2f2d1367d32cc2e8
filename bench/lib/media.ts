import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';

/** Decodes a video into JPEG frames (files under `dir`) and returns their bytes, in order. */
export async function videoToJpegs(video: string, dir: string, quality = 3): Promise<Buffer[]> {
  const ffmpeg = new FfmpegAdapter(silentLogger);
  await ffmpeg.run(['-i', video, '-c:v', 'mjpeg', '-q:v', String(quality), '-f', 'image2', join(dir, 'f-%05d.jpg')], {
    timeoutMs: 120_000,
  });
  const files = (await readdir(dir)).filter((f) => f.startsWith('f-') && f.endsWith('.jpg')).sort();
  return Promise.all(files.map((f) => readFile(join(dir, f))));
}
