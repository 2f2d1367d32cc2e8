import { execFile } from 'node:child_process';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

/**
 * What ffprobe (run directly, not through the code under test) says of a video: codec, decoded frame count and
 * duration. Takes a file path or the bytes (written to a temp file that is removed).
 */
export async function probeVideo(input: string | Buffer): Promise<{ codec: string; frames: number; duration: number }> {
  const dir = typeof input === 'string' ? undefined : await mkdtemp(join(tmpdir(), 'vigint-gw-probe-'));
  const file = dir ? join(dir, 'v') : (input as string);
  try {
    if (dir) await writeFile(file, input as Buffer);
    const { stdout } = await run(resolveFfmpeg().ffprobe, [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,nb_read_frames:format=duration',
      '-of',
      'json',
      file,
    ]);
    const j = JSON.parse(stdout) as {
      streams: { codec_name: string; nb_read_frames: string }[];
      format: { duration: string };
    };
    return {
      codec: j.streams[0]!.codec_name,
      frames: Number(j.streams[0]!.nb_read_frames),
      duration: Number(j.format.duration),
    };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
