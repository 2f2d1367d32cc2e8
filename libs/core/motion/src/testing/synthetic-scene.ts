import type { Polygon } from '@vigint/contracts';

/**
 * Labeled synthetic camera scenes for the motion gate's tests and the detection benchmark. A scene is data
 * (a wall, its noise, lights, rain, vegetation, people crossing); `renderScene` draws it at any size as 8-bit
 * grayscale frames. Geometry is in fractions of the frame, noise is given as seen by the gate at 160 px wide
 * and scaled up with the render width, so a 640x360 render downscaled by ffmpeg (area) to 160x90 shows about
 * the same noise as a direct 160x90 render.
 */

/** Something crossing the frame horizontally at constant speed. */
export interface SceneObject {
  /** Seconds from the scene start when it enters, and how long it takes to cross. */
  start: number;
  seconds: number;
  /** Size and vertical position (top) in fractions of the frame. */
  width: number;
  height: number;
  y: number;
  /** Luma difference from the wall's base level (signed), e.g. -25 for dark clothes in front of a grey wall. */
  delta: number;
  /** Crosses right to left. */
  fromRight?: boolean;
  /** Horizontal range crossed, in fractions of the frame (default 0 → 1 minus the object's width). */
  from?: number;
  to?: number;
  /** A person (an event to be alerted) or something that must not alert (a small animal). */
  kind: 'person' | 'animal';
}

export interface LightStep {
  /** Seconds when the light changes, and how long the change takes (0 = one frame, a switch). */
  at: number;
  ramp?: number;
  /** Multiplicative gain from then on (1 = unchanged) and an additive offset in luma levels. */
  gain: number;
  offset?: number;
}

export interface SceneSpec {
  name: string;
  /** What the scene shows, for the benchmark's manifest and table. */
  description: string;
  seconds: number;
  fps: number;
  /** Base luma of the wall and the amplitude of its static texture (0 = a flat wall). */
  wall: number;
  texture: number;
  /** Sensor noise σ in luma levels as the gate sees it at 160 px wide (scaled by width/160 when rendering). */
  noise: number;
  objects?: SceneObject[];
  /** Lights switched or dimmed; each step sets the gain from its time on. */
  light?: LightStep[];
  /** Slow brightness drift (clouds): ± amplitude (fraction) over `period` seconds. */
  drift?: { amplitude: number; period: number };
  /** Day → night IR switch: from `at` the scene's contrast and brightness change and the noise doubles. */
  ir?: { at: number };
  /** A bright band (a car's headlights) sweeping across the scene. */
  headlights?: Array<{ start: number; seconds: number; gain: number; width: number }>;
  /** Rain-like noise: `streaks` short bright vertical streaks at random places on every frame. */
  rain?: { streaks: number; luma: number; length: number };
  /** Leaves swaying in a rectangle (fractions of the frame). */
  vegetation?: { x: number; y: number; width: number; height: number; amplitude: number; period: number };
  /** Polygons the camera masks (ignored by the gate). */
  mask?: Polygon[];
  /** What the gate is held to on this scene when it is harder than usual (see `scoreMotion`). */
  expect?: {
    /** Share of each event's frames reported as motion (default 0.5). */
    minCoverage?: number;
    /** Seconds after an event's end during which motion still belongs to it (default 1). */
    tailSeconds?: number;
  };
}

/** An event interval (seconds) to be alerted. */
export interface SceneEvent {
  start: number;
  end: number;
}

/** The intervals during which a person is in view: the events the gate must report. */
export function sceneEvents(spec: SceneSpec): SceneEvent[] {
  return (spec.objects ?? [])
    .filter((o) => o.kind === 'person')
    .map((o) => ({ start: o.start, end: o.start + o.seconds }))
    .sort((a, b) => a.start - b.start);
}

/** Deterministic pseudo-random numbers (LCG), so every render of a scene is the same. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NOISE_TABLE_SIZE = 1 << 18;

/** Frames of a scene, one per 1/fps second, as 8-bit gray of `width` x `height`. */
export function* renderScene(
  spec: SceneSpec,
  width: number,
  height: number,
  seed = 1,
): Generator<{ frame: Uint8Array; t: number; index: number }> {
  const rand = rng(seed);
  // Approximately normal samples (sum of four uniforms), read at a random offset per row: cheap at 640x360.
  const noiseTable = new Float32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < NOISE_TABLE_SIZE; i++) noiseTable[i] = (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
  const scale = width / 160;
  const wall = wallImage(spec, width, height);
  const irWall = spec.ir ? wallImage({ ...spec, texture: -spec.texture * 0.6 }, width, height) : undefined;
  const frames = Math.round(spec.seconds * spec.fps);
  const value = new Float32Array(width * height);
  for (let index = 0; index < frames; index++) {
    const t = index / spec.fps;
    const ir = spec.ir !== undefined && t >= spec.ir.at;
    const base = ir ? irWall! : wall;
    // Illumination: steps, drift, IR (the IR lamp lights the near scene: brighter and flatter).
    let gain = 1;
    let offset = 0;
    for (const step of spec.light ?? []) {
      if (t < step.at) continue;
      const k = step.ramp ? Math.min(1, (t - step.at) / step.ramp) : 1;
      gain = gain * (1 - k) + step.gain * k;
      offset = offset * (1 - k) + (step.offset ?? 0) * k;
    }
    if (spec.drift) gain *= 1 + spec.drift.amplitude * Math.sin((2 * Math.PI * t) / spec.drift.period);
    if (ir) {
      gain *= 1.5;
      offset += 20;
    }
    for (let i = 0; i < value.length; i++) value[i] = base[i]!;
    if (spec.vegetation) drawVegetation(value, width, height, spec.vegetation, t, rand);
    for (const o of spec.objects ?? []) drawObject(value, width, height, spec.wall, o, t);
    // Light multiplies what the scene reflects (objects included): a person is lit like the wall behind them.
    const beams = (spec.headlights ?? []).filter((b) => t >= b.start && t <= b.start + b.seconds);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let g = gain;
        for (const b of beams) {
          const cx = -b.width + ((t - b.start) / b.seconds) * (1 + 2 * b.width);
          const dx = (x / width - cx) / b.width;
          const dy = (y / height - 0.65) / 0.45;
          g *= 1 + b.gain * Math.exp(-(dx * dx + dy * dy));
        }
        const i = y * width + x;
        value[i] = value[i]! * g + offset;
      }
    }
    if (spec.rain) drawRain(value, width, height, spec.rain, rand);
    const sigma = spec.noise * scale * (ir ? 2 : 1);
    const frame = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      let k = Math.floor(rand() * (NOISE_TABLE_SIZE - width));
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const v = value[row + x]! + noiseTable[k++]! * sigma;
        frame[row + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
    yield { frame, t, index };
  }
}

/** The static wall: a base level with a texture (panels, a soft gradient, a few darker and lighter areas). */
function wallImage(spec: Pick<SceneSpec, 'wall' | 'texture'>, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const panel = (Math.floor(u * 8) + Math.floor(v * 4.5)) % 2 === 0 ? 0.5 : -0.5;
      const shade = 0.4 * Math.sin(2 * Math.PI * (u * 1.3 + v * 0.7)) + 0.3 * Math.sin(2 * Math.PI * u * 5.1) * v;
      out[y * width + x] = spec.wall + spec.texture * (panel + shade);
    }
  }
  return out;
}

function drawObject(value: Float32Array, width: number, height: number, wall: number, o: SceneObject, t: number): void {
  if (t < o.start || t > o.start + o.seconds) return;
  const from = o.from ?? 0;
  const to = o.to ?? 1 - o.width;
  let k = (t - o.start) / o.seconds;
  if (o.fromRight) k = 1 - k;
  const x0 = Math.round((from + (to - from) * k) * width);
  const w = Math.max(1, Math.round(o.width * width));
  const y0 = Math.round(o.y * height);
  const h = Math.max(1, Math.round(o.height * height));
  const luma = wall + o.delta;
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
    // A person is narrower at the head and feet: a rounded silhouette rather than a box.
    const rel = (y - y0) / h;
    const inset = rel < 0.15 ? Math.round(w * 0.3) : rel > 0.9 ? Math.round(w * 0.15) : 0;
    for (let x = Math.max(0, x0 + inset); x < Math.min(width, x0 + w - inset); x++) value[y * width + x] = luma;
  }
}

function drawVegetation(
  value: Float32Array,
  width: number,
  height: number,
  veg: NonNullable<SceneSpec['vegetation']>,
  t: number,
  rand: () => number,
): void {
  const x0 = Math.round(veg.x * width);
  const y0 = Math.round(veg.y * height);
  const w = Math.round(veg.width * width);
  const h = Math.round(veg.height * height);
  for (let y = y0; y < Math.min(height, y0 + h); y++) {
    // The top of the tree sways more than its base; leaves flutter a little on every frame.
    const sway = veg.amplitude * width * ((y0 + h - y) / h) * Math.sin((2 * Math.PI * t) / veg.period);
    for (let x = x0; x < Math.min(width, x0 + w); x++) {
      const u = (x - x0 - sway) / width;
      const v = (y - y0) / height;
      const leaf = Math.sin(2 * Math.PI * u * 6) * Math.sin(2 * Math.PI * v * 5) + (rand() - 0.5) * 0.3;
      value[y * width + x] = 70 + 55 * leaf;
    }
  }
}

function drawRain(
  value: Float32Array,
  width: number,
  height: number,
  rain: NonNullable<SceneSpec['rain']>,
  rand: () => number,
): void {
  const len = Math.max(2, Math.round(rain.length * height));
  // As wide as one pixel of the gate's 160 px frame, whatever the render size.
  const thick = Math.max(1, Math.round(width / 160));
  for (let s = 0; s < rain.streaks; s++) {
    const x = Math.floor(rand() * width);
    const y = Math.floor(rand() * height);
    const lean = (rand() - 0.5) * 0.3;
    for (let k = 0; k < len; k++) {
      const yy = y + k;
      if (yy >= height) break;
      for (let d = 0; d < thick; d++) {
        const xx = x + Math.round(k * lean) + d;
        if (xx >= 0 && xx < width) value[yy * width + xx] = value[yy * width + xx]! + rain.luma;
      }
    }
  }
}
