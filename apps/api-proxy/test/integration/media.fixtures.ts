import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { resolveFfmpeg } from '@vigint/ffmpeg';

const run = promisify(execFile);

/** A small JPEG of one colour (varying colours make distinct frames). */
export async function jpeg(width = 160, height = 120, shade = 80): Promise<Buffer> {
  return sharp({
    create: { width, height, channels: 3, background: { r: shade, g: 255 - shade, b: (shade * 3) % 255 } },
  })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** An H.264 MP4 test pattern of `seconds` (ffmpeg lavfi testsrc). */
export async function mp4(seconds = 2, size = '320x240', extra: string[] = []): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-gw-fx-'));
  try {
    const out = join(dir, 'v.mp4');
    const { ffmpeg } = resolveFfmpeg();
    await run(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc=duration=${seconds}:size=${size}:rate=25`,
      ...extra,
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-preset',
      'ultrafast',
      '-movflags',
      '+faststart',
      '-y',
      out,
    ]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const b64 = (b: Buffer): string => b.toString('base64');
