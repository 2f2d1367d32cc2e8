import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { renderScene, type SceneSpec } from '@vigint/motion/testing';

/** Generated footage is rendered at this size and rate, then read back like a camera (DETECT_*). */
export const RENDER = { width: 640, height: 360, fps: 10 };
/** What the edge agent feeds its motion gate (capture.presets.ts: fps, scale with flags=area, gray). */
export const DETECT = { width: 160, height: 90, fps: 5 };

const ffmpeg = new FfmpegAdapter(silentLogger);

/**
 * Renders a scene to H.264 MP4 at `file`, unless the file there was rendered from the same scene (its
 * spec's hash is kept next to it): rendering all scenes takes a minute or two on a loaded machine.
 */
export async function renderSceneVideo(spec: SceneSpec, file: string, signal?: AbortSignal): Promise<boolean> {
  const stamp = `${file}.spec-sha256`;
  const hash = createHash('sha256')
    .update(JSON.stringify({ spec, RENDER, renderer: 1 }))
    .digest('hex');
  const old = await readFile(stamp, 'utf8').catch(() => '');
  if (old.trim() === hash) return false;
  await mkdir(dirname(file), { recursive: true });
  const frames = renderScene({ ...spec, fps: RENDER.fps }, RENDER.width, RENDER.height, 11);
  const tmp = `${file}.tmp.mp4`;
  await ffmpeg.run(
    [
      ...['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${RENDER.width}x${RENDER.height}`, '-r', String(RENDER.fps)],
      ...['-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23'],
      ...['-g', String(RENDER.fps), '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp],
    ],
    {
      timeoutMs: 600_000,
      stdin: Readable.from(
        (function* () {
          for (const f of frames) yield Buffer.from(f.frame.buffer);
        })(),
      ),
      signal,
    },
  );
  await rename(tmp, file);
  await writeFile(stamp, `${hash}\n`);
  return true;
}

/** Decodes a video as the agent does for its motion gate: 160x90 gray frames at 5 fps. */
export async function detectFrames(file: string, signal?: AbortSignal): Promise<Uint8Array[]> {
  const size = DETECT.width * DETECT.height;
  const proc = ffmpeg.spawn(
    [
      ...['-i', file, '-an', '-vf', `fps=${DETECT.fps},scale=${DETECT.width}:${DETECT.height}:flags=area,format=gray`],
      ...['-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    ],
    { signal },
  );
  const chunks: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await proc.exited;
  if (code !== 0) throw new Error(`ffmpeg could not decode ${file} (exit ${code}): ${proc.stderrTail().slice(-400)}`);
  const all = Buffer.concat(chunks);
  const frames: Uint8Array[] = [];
  for (let o = 0; o + size <= all.length; o += size) frames.push(new Uint8Array(all.subarray(o, o + size)));
  return frames;
}

export function footageDir(): string {
  return process.env.VIGINT_FOOTAGE_DIR ?? '/work/footage';
}

export function footagePath(file: string): string {
  return join(footageDir(), file);
}
