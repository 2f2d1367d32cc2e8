import { join } from 'node:path';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import type { Polygon } from '@vigint/contracts';

/** Where the swaying "tree" stands: the top-right corner, covered by SWAY_MASK. */
export const SWAY_MASK: Polygon = [
  [0.72, 0],
  [1, 0],
  [1, 0.5],
  [0.72, 0.5],
];

export interface FootageOptions {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Start times (s) of person-sized objects crossing the frame (alternately left→right and right→left) in `crossSeconds`. */
  events?: number[];
  crossSeconds?: number;
}

/**
 * A camera-like scene from ffmpeg's lavfi sources: a wall with a cupboard, sensor noise on every frame,
 * light that drifts slowly (±6 % brightness over a 40 s period, like clouds), a "tree" swaying in the
 * top-right corner (inside SWAY_MASK) and, optionally, person-sized objects crossing the scene.
 * H.264 with a 1 s GOP as a camera would send.
 */
export async function makeFootage(dir: string, name: string, o: FootageOptions): Promise<string> {
  const width = o.width ?? 640;
  const height = o.height ?? 360;
  const fps = o.fps ?? 10;
  const cross = o.crossSeconds ?? 4;
  const events = o.events ?? [];
  const out = join(dir, `${name}.mp4`);
  const inputs = [
    '-f',
    'lavfi',
    '-i',
    `color=c=0x506070:s=${width}x${height}:r=${fps}:d=${o.seconds}`,
    '-f',
    'lavfi',
    '-i',
    `color=c=0x2f6b2a:s=${even(width * 0.12)}x${even(height * 0.3)}:r=${fps}`,
  ];
  const graph: string[] = [
    `[0:v]drawbox=x=iw*0.06:y=ih*0.16:w=iw*0.19:h=ih*0.56:color=0x8a6a40:t=fill[bg]`,
    // The tree sways ±4 % of the width every 3 s, always inside the mask.
    `[bg][1:v]overlay=x='W*0.8+W*0.04*sin(2*PI*t/3)':y=H*0.08:shortest=1[s0]`,
  ];
  let last = '[s0]';
  events.forEach((start, i) => {
    // Each event looks different (another person: colour, size, height in the frame), as a dozen real
    // visitors would; identical boxes would be merged by the alert's duplicate-scene check.
    const look = LOOKS[i % LOOKS.length]!;
    const input = 2 + i;
    inputs.push(
      '-f',
      'lavfi',
      '-i',
      `color=c=${look.color}:s=${even(width * look.w)}x${even(height * look.h)}:r=${fps}`,
    );
    const dir = i % 2 === 0 ? `(t-${start})/${cross}` : `1-(t-${start})/${cross}`;
    graph.push(
      `${last}[${input}:v]overlay=x='(${dir})*(W*0.7+w)-w':y=H*${look.y}:enable='between(t,${start},${start + cross})':shortest=1[e${i}]`,
    );
    last = `[e${i}]`;
  });
  graph.push(`${last}eq=brightness='0.06*sin(2*PI*t/40)':eval=frame,noise=alls=8:allf=t+u,format=yuv420p[v]`);
  await new FfmpegAdapter(silentLogger).run(
    [
      ...inputs,
      '-filter_complex',
      graph.join(';'),
      '-map',
      '[v]',
      '-t',
      String(o.seconds),
      '-g',
      String(fps),
      '-keyint_min',
      String(fps),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '23',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      out,
    ],
    { timeoutMs: 240_000 },
  );
  return out;
}

/** Luminance far from the wall's (~93/255): the motion gate works on grey levels. */
const LOOKS = [
  { color: '0xd0b090', w: 0.125, h: 0.4, y: 0.45 },
  { color: '0x202830', w: 0.15, h: 0.45, y: 0.5 },
  { color: '0xe8e8e0', w: 0.11, h: 0.35, y: 0.55 },
  { color: '0x141414', w: 0.14, h: 0.42, y: 0.4 },
  { color: '0xf0c040', w: 0.12, h: 0.38, y: 0.58 },
  { color: '0x302010', w: 0.16, h: 0.44, y: 0.48 },
];

function even(v: number): number {
  return Math.max(2, Math.floor(v / 2) * 2);
}
