/**
 * Generated media for tests (media helper): small videos made by ffmpeg's lavfi sources and JPEGs made
 * by sharp, so no test depends on a checked-in binary.
 */
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';

let adapter: FfmpegAdapter | undefined;
function ffmpeg(): FfmpegAdapter {
  adapter ??= new FfmpegAdapter(silentLogger);
  return adapter;
}

/** A fresh temp folder (`vigint-<prefix>-XXXX`); the caller removes it (`rm(dir, {recursive: true, force: true})`). */
export function makeTempDir(prefix = 'media'): Promise<string> {
  return mkdtemp(join(tmpdir(), `vigint-${prefix}-`));
}

export type TestVideoFormat = 'mp4' | 'webm' | 'ts' | 'mkv';

export interface TestVideoOptions {
  seconds: number;
  /** Default 640x360. */
  width?: number;
  height?: number;
  /** Default 10. */
  fps?: number;
  /** A "person-sized" box (1/8 of the width, 2/5 of the height) crossing left to right between these times. */
  withMovingBox?: { startSec: number; endSec: number };
  /** Temporal sensor noise on every frame (true = strength 8, or a number 1-100). */
  noise?: boolean | number;
  /** Global brightness step (lights switched on) from this time on. */
  lightChangeAtSec?: number;
  /** Default mp4 (H.264, yuv420p). ts/mkv are H.264 too, webm is VP9. */
  format?: TestVideoFormat;
  /** Adds a 440 Hz AAC/Opus tone. */
  audio?: boolean;
  /** Target video bitrate (e.g. '4M') to get a file of a known size; default CRF 23. */
  bitrate?: string;
  /** Keyframe interval in seconds (default 1: cuts by stream copy land within a second). */
  gopSeconds?: number;
  /** Where to write; default a file in a fresh temp folder (remove `dirname(file)` afterwards). */
  outFile?: string;
}

/**
 * A static scene (flat wall, one dark "cupboard"), optionally with noise, a crossing object and a light
 * change. Returns the file path.
 */
export async function makeTestVideo(options: TestVideoOptions): Promise<string> {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 10;
  const format = options.format ?? 'mp4';
  const seconds = options.seconds;
  const outFile = options.outFile ?? join(await makeTempDir('video'), `test.${format}`);

  const inputs = ['-f', 'lavfi', '-i', `color=c=0x506070:s=${width}x${height}:r=${fps}:d=${seconds}`];
  const cupboard = `drawbox=x=iw*0.06:y=ih*0.16:w=iw*0.19:h=ih*0.56:color=0x8a6a40:t=fill`;
  const chain: string[] = [];
  let last = '[0:v]';
  let graph = `${last}${cupboard}[bg]`;
  last = '[bg]';
  let nextInput = 1;
  if (options.withMovingBox) {
    const { startSec: s, endSec: e } = options.withMovingBox;
    const bw = even(width / 8);
    const bh = even(height / 2.5);
    inputs.push('-f', 'lavfi', '-i', `color=c=0xd0b090:s=${bw}x${bh}:r=${fps}`);
    // overlay evaluates x per frame (drawbox does not see `t` in ffmpeg 5.1).
    graph +=
      `;${last}[${nextInput}:v]overlay=x='(t-${s})/(${Math.max(0.001, e - s)})*(W+w)-w':y=H*0.35:` +
      `enable='between(t,${s},${e})':shortest=1[mv]`;
    last = '[mv]';
    nextInput++;
  }
  if (options.lightChangeAtSec !== undefined)
    chain.push(`eq=brightness=0.12:enable='gte(t,${options.lightChangeAtSec})'`);
  if (options.noise) {
    const strength = typeof options.noise === 'number' ? options.noise : 8;
    chain.push(`noise=alls=${strength}:allf=t+u`);
  }
  chain.push('format=yuv420p');
  graph += `;${last}${chain.join(',')}[v]`;

  const audio = options.audio ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`] : [];
  const gop = Math.max(1, Math.round(fps * (options.gopSeconds ?? 1)));
  const videoCodec =
    format === 'webm'
      ? [
          '-c:v',
          'libvpx-vp9',
          '-deadline',
          'realtime',
          '-cpu-used',
          '8',
          ...(options.bitrate ? ['-b:v', options.bitrate] : ['-b:v', '0', '-crf', '34']),
        ]
      : [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          ...(options.bitrate
            ? ['-b:v', options.bitrate, '-maxrate', options.bitrate, '-bufsize', options.bitrate]
            : ['-crf', '23']),
        ];
  const audioCodec = options.audio
    ? format === 'webm'
      ? ['-c:a', 'libopus', '-b:a', '64k']
      : ['-c:a', 'aac', '-b:a', '96k']
    : [];
  const muxer = {
    mp4: ['-movflags', '+faststart', '-f', 'mp4'],
    webm: ['-f', 'webm'],
    ts: ['-f', 'mpegts'],
    mkv: ['-f', 'matroska'],
  }[format];
  await ffmpeg().run(
    [
      ...inputs,
      ...audio,
      '-filter_complex',
      graph,
      '-map',
      '[v]',
      ...(options.audio ? ['-map', `${nextInput}:a`] : []),
      '-t',
      String(seconds),
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      ...videoCodec,
      ...audioCodec,
      ...muxer,
      outFile,
    ],
    { timeoutMs: 120_000 },
  );
  return outFile;
}

export interface TestSegments {
  dir: string;
  /** Segment files in recording order. */
  files: string[];
  /** Start of each segment, seconds from the start of the first. */
  starts: number[];
}

/**
 * A recording split into segments by stream copy, the way the edge agent records (`-f segment`).
 * `segmentSeconds` should be a multiple of the keyframe interval (1 s by default).
 */
export async function makeTestSegments(
  options: Omit<TestVideoOptions, 'outFile' | 'format'> & { segmentSeconds: number; format?: 'mp4' | 'ts' },
): Promise<TestSegments> {
  const dir = await makeTempDir('segments');
  const source = await makeTestVideo({ ...options, format: 'mkv', outFile: join(dir, 'source.mkv') });
  const ext = options.format ?? 'ts';
  await ffmpeg().run(
    [
      '-i',
      source,
      '-map',
      '0',
      '-c',
      'copy',
      '-f',
      'segment',
      '-segment_time',
      String(options.segmentSeconds),
      '-reset_timestamps',
      '1',
      ...(ext === 'ts' ? ['-segment_format', 'mpegts'] : ['-segment_format', 'mp4']),
      join(dir, `seg-%03d.${ext}`),
    ],
    { timeoutMs: 120_000 },
  );
  const files = (await readdir(dir))
    .filter((f) => f.startsWith('seg-'))
    .sort()
    .map((f) => join(dir, f));
  const starts: number[] = [];
  let t = 0;
  for (const f of files) {
    starts.push(t);
    t += (await ffmpeg().probe(f)).durationSeconds;
  }
  return { dir, files, starts };
}

export type TestPattern = 'solid' | 'gradient' | 'checker' | 'scene';

export interface TestJpegOptions {
  width: number;
  height: number;
  /** Background for 'solid' (default pattern when given), as [r, g, b]. */
  color?: [number, number, number];
  /** Default 'scene' unless `color` is given. */
  pattern?: TestPattern;
  /** Changes the 'scene' layout (deterministic per seed) and the noise. */
  seed?: number;
  /** Seed of the noise alone (default `seed`): vary it per frame for sensor-like noise on a fixed scene. */
  noiseSeed?: number;
  /** Per-pixel noise amplitude (0-255), deterministic per seed. */
  noise?: number;
  /** Added to every channel (a light change). */
  brightness?: number;
  /** A filled rectangle on top, normalised coordinates (an object in the scene). */
  box?: { x: number; y: number; w: number; h: number; color?: [number, number, number] };
  quality?: number;
  /** Another format for callers that need a non-JPEG image (gif, tiff and heif/AVIF: formats we refuse). */
  format?: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';
}

/** A deterministic JPEG (or PNG) generated by sharp from raw pixels. */
export async function makeTestJpeg(options: TestJpegOptions): Promise<Buffer> {
  const { width, height } = options;
  const pattern: TestPattern = options.pattern ?? (options.color ? 'solid' : 'scene');
  const rand = mulberry32(options.noiseSeed ?? options.seed ?? 1);
  const rects = pattern === 'scene' ? sceneRects(mulberry32((options.seed ?? 1) * 7919)) : [];
  const px = Buffer.alloc(width * height * 3);
  const [cr, cg, cb] = options.color ?? [80, 96, 112];
  const noise = options.noise ?? 0;
  const light = options.brightness ?? 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      if (pattern === 'solid') [r, g, b] = [cr, cg, cb];
      else if (pattern === 'gradient') [r, g, b] = [(x * 255) / width, (y * 255) / height, 128];
      else if (pattern === 'checker')
        r = g = b = ((Math.floor((x * 8) / width) + Math.floor((y * 8) / height)) % 2) * 200 + 28;
      else {
        r = 60 + (x * 80) / width;
        g = 70 + (y * 60) / height;
        b = 90;
        for (const rect of rects) {
          if (
            x >= rect.x * width &&
            x < (rect.x + rect.w) * width &&
            y >= rect.y * height &&
            y < (rect.y + rect.h) * height
          ) {
            [r, g, b] = rect.color;
          }
        }
      }
      const box = options.box;
      if (
        box &&
        x >= box.x * width &&
        x < (box.x + box.w) * width &&
        y >= box.y * height &&
        y < (box.y + box.h) * height
      ) {
        [r, g, b] = box.color ?? [208, 176, 144];
      }
      const n = noise ? (rand() - 0.5) * 2 * noise : 0;
      const i = (y * width + x) * 3;
      px[i] = clamp(r! + n + light);
      px[i + 1] = clamp(g! + n + light);
      px[i + 2] = clamp(b! + n + light);
    }
  }
  const img = sharp(px, { raw: { width, height, channels: 3 } });
  switch (options.format) {
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp().toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'tiff':
      return img.tiff().toBuffer();
    case 'heif':
      return img.avif().toBuffer();
    default:
      return img.jpeg({ quality: options.quality ?? 85 }).toBuffer();
  }
}

/**
 * `n` consecutive camera-like frames: the same scene with a person-sized box crossing it from left to
 * right (unless `movingBox: false`), light noise that differs per frame.
 */
export async function makeJpegFrames(
  n: number,
  options: {
    width?: number;
    height?: number;
    seed?: number;
    movingBox?: boolean;
    noise?: number;
    quality?: number;
  } = {},
): Promise<Buffer[]> {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const progress = n > 1 ? i / (n - 1) : 0;
    frames.push(
      await makeTestJpeg({
        width,
        height,
        pattern: 'scene',
        seed: options.seed ?? 1,
        noiseSeed: (options.seed ?? 1) * 100_003 + i,
        noise: options.noise ?? 4,
        quality: options.quality,
        box: options.movingBox === false ? undefined : { x: -0.125 + progress * 1.0, y: 0.35, w: 0.125, h: 0.4 },
      }),
    );
  }
  return frames;
}

/**
 * A PNG that declares `width` x `height` pixels but holds almost no data: a decompression bomb for
 * decoders that trust the header. The file is a few dozen bytes.
 */
export function makeBombPng(width = 100_000, height = 100_000): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // grayscale
  // compression, filter, interlace = 0
  const idat = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]); // an empty zlib stream
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function sceneRects(
  rand: () => number,
): { x: number; y: number; w: number; h: number; color: [number, number, number] }[] {
  return Array.from({ length: 6 }, () => ({
    x: rand() * 0.8,
    y: rand() * 0.8,
    w: 0.1 + rand() * 0.3,
    h: 0.1 + rand() * 0.3,
    color: [Math.floor(rand() * 255), Math.floor(rand() * 255), Math.floor(rand() * 255)] as [number, number, number],
  }));
}

/** Small seeded PRNG so generated images are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function even(v: number): number {
  return Math.max(2, Math.floor(v / 2) * 2);
}
