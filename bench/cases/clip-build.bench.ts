import { spawn } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ClipService } from '@vigint/clip';
import { VideoFormat } from '@vigint/contracts';
import { FfmpegAdapter, GLOBAL_ARGS, framesToVideoArgs } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { makeTestVideo } from '@vigint/testing';
import { defineCase } from '../lib/bench-case';
import { videoToJpegs } from '../lib/media';
import { secondsSince } from '../lib/stats';

const FPS = 5;
const SECONDS = 30;

/**
 * Issue 8 §4a: 150 JPEG frames (30 s of 720p at 5 fps) → MP4 through ClipService.framesToVideo, versus
 * the very same ffmpeg command line run directly with the same frames on stdin. The difference is the
 * library's own work: a sharp probe per frame, the stream plumbing and the closing ffprobe.
 */
export default defineCase({
  name: 'clip-build',
  description: `${SECONDS * FPS} 720p JPEG frames → MP4: ClipService.framesToVideo vs the same ffmpeg command`,
  runs: 3,
  timeoutMs: 4 * 60_000,
  async setup(ctx) {
    const video = await makeTestVideo({
      seconds: SECONDS,
      width: 1280,
      height: 720,
      fps: FPS,
      noise: true,
      withMovingBox: { startSec: 5, endSec: 25 },
    });
    ctx.defer(() => rm(dirname(video), { recursive: true, force: true }));
    const dir = join(ctx.tmp, 'frames');
    await mkdir(dir);
    const frames = await videoToJpegs(video, dir);
    ctx.log(`${frames.length} frames, ${Math.round(frames.reduce((n, f) => n + f.length, 0) / 1024)} KB`);
    const ffmpeg = new FfmpegAdapter(silentLogger);
    return { frames, ffmpeg, clip: new ClipService(ffmpeg, silentLogger) };
  },
  async run({ frames, ffmpeg, clip }, ctx, index) {
    const viaService = async () => {
      const outFile = join(ctx.tmp, `service-${index}.mp4`);
      const t = performance.now();
      const info = await clip.framesToVideo(frames, { fps: FPS, format: VideoFormat.Mp4, outFile, signal: ctx.signal });
      const s = secondsSince(t);
      if (info.framesProcessed !== frames.length) throw new Error(`encoded ${info.framesProcessed} frames`);
      return { s, bytes: info.sizeBytes };
    };
    const direct = async () => {
      const outFile = join(ctx.tmp, `direct-${index}.mp4`);
      const args = [
        ...GLOBAL_ARGS,
        ...framesToVideoArgs({ fps: FPS, width: 1280, height: 720, format: 'mp4', outFile }),
      ];
      const t = performance.now();
      await new Promise<void>((resolve, reject) => {
        const p = spawn(ffmpeg.binaries.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'], signal: ctx.signal });
        let err = '';
        p.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
        p.stdin.on('error', () => undefined);
        p.stdin.end(Buffer.concat(frames));
      });
      return { s: secondsSince(t), bytes: (await stat(outFile)).size };
    };
    // Alternate which side goes first so a warm cache or a neighbour's burst does not favour one.
    let svc: { s: number; bytes: number };
    let raw: { s: number; bytes: number };
    if (index % 2 === 0) {
      svc = await viaService();
      raw = await direct();
    } else {
      raw = await direct();
      svc = await viaService();
    }
    return [
      {
        metric: 'clip.frames-to-video',
        value: svc.s,
        unit: 's',
        baseline: raw.s,
        goal: { on: 'ratio', op: '<=', target: 1.1 },
        detail: { frames: frames.length, serviceBytes: svc.bytes, directBytes: raw.bytes },
      },
    ];
  },
});
