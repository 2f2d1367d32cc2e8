/**
 * Closing-note figure: compress a 30 s 720p clip to 2 MB.
 * Run: npx tsx libs/core/clip/test/bench/compress-30s.ts [--two-pass] [--fps 25] [--bitrate 6M] [--max-mb 2]
 *      [--input FILE]            compress FILE instead of generating the clip
 *      [--generate-only FILE]    only write the generated 30 s clip to FILE
 * Prints input and output size, passes, resolution and the wall time of the compression. For CPU time,
 * generate once, then run the compression under `/usr/bin/time -v` with --input (ffmpeg is a child process).
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { makeTempDir, makeTestVideo } from '@vigint/testing';
import { ClipService } from '../../src';

const { values } = parseArgs({
  options: {
    'two-pass': { type: 'boolean', default: false },
    fps: { type: 'string', default: '25' },
    bitrate: { type: 'string', default: '6M' },
    'max-mb': { type: 'string', default: '2' },
    input: { type: 'string' },
    'generate-only': { type: 'string' },
  },
});
const ffmpeg = new FfmpegAdapter(silentLogger);
const clips = new ClipService(ffmpeg, silentLogger);
const dir = await makeTempDir('bench');
const source =
  values.input ??
  (await makeTestVideo({
    seconds: 30,
    width: 1280,
    height: 720,
    fps: Number(values.fps),
    noise: 12,
    withMovingBox: { startSec: 5, endSec: 20 },
    lightChangeAtSec: 24,
    audio: true,
    bitrate: values.bitrate,
    outFile: values['generate-only'],
  }));
if (values['generate-only']) {
  await rm(dir, { recursive: true, force: true });
  console.log(values['generate-only']);
  process.exit(0);
}
try {
  const input = await ffmpeg.probe(source);
  const maxSizeBytes = Math.round(Number(values['max-mb']) * 1024 * 1024);
  const t0 = performance.now();
  const res = await clips.compressToSize(source, join(dir, 'out.mp4'), { maxSizeBytes, twoPass: values['two-pass'] });
  const wallMs = performance.now() - t0;
  const out = await ffmpeg.probe(join(dir, 'out.mp4'));
  console.log(
    JSON.stringify(
      {
        input: {
          bytes: input.sizeBytes,
          seconds: input.durationSeconds,
          size: `${input.width}x${input.height}`,
          fps: input.fps,
        },
        maxSizeBytes,
        twoPass: values['two-pass'],
        output: {
          bytes: res.compressedSize,
          seconds: out.durationSeconds,
          size: `${out.width}x${out.height}`,
          passes: res.passes,
        },
        wallSeconds: +(wallMs / 1000).toFixed(2),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
  if (!values.input) await rm(dirname(source), { recursive: true, force: true });
}
