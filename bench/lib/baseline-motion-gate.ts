import type { MotionSettings } from '@vigint/contracts';
import { countWatched, rasterizePolygons } from '@vigint/motion';

/** A motion box in normalised coordinates (0..1) of the frame. */
export interface MotionBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface MotionResult {
  motion: boolean;
  /** Fraction of watched pixels that differ from the background (after light compensation). */
  changedFraction: number;
  /** Fraction of watched pixels inside regions large enough to count (≥ contour_area). */
  motionFraction: number;
  /** Union of the regions that count as motion. */
  box?: MotionBox;
  /** True when this frame reset the background (warm-up, or most of the image changed at once). */
  calibrating: boolean;
}

export interface MotionGateOptions {
  width: number;
  height: number;
  settings: Partial<MotionSettings>;
  /** Weight of a new frame in the running-average background (Frigate's frame_alpha is 0.01-0.02 at 5 fps). */
  alpha?: number;
  /** Box-blur radius in pixels, applied before comparing: removes sensor noise and compression blocks. */
  blurRadius?: number;
  /** Frames used only to learn the background after start or a recalibration. */
  calibrationFrames?: number;
}

export const BASELINE_MOTION_SETTINGS: MotionSettings = {
  threshold: 25,
  contour_area: 0.004,
  lightning_threshold: 0.6,
  mask: [],
};

/**
 * The motion gate as it was before issue 12 (libs/core/motion at commit 5b51846), kept unchanged as the
 * detection benchmark's baseline: the bench runs it and the current gate on the same frames.
 *
 * Decides whether a small grayscale frame (about 160 px wide) shows motion, Frigate-style: blur, compare with a
 * running-average background, threshold per pixel, keep connected regions of at least `contour_area`, ignore
 * masked pixels. Global light changes are cancelled by subtracting the median brightness shift before
 * thresholding; when most of the image still changes at once (lights switched on, IR mode), the background is
 * reset instead of reporting motion. Pure: no I/O, one instance per camera.
 */
export class BaselineMotionGate {
  readonly width: number;
  readonly height: number;
  readonly settings: MotionSettings;
  private readonly mask: Uint8Array;
  private readonly watched: number;
  private readonly alpha: number;
  private readonly blurRadius: number;
  private readonly calibrationFrames: number;
  private background: Float32Array | undefined;
  private calibrateLeft = 0;
  private readonly blurred: Float32Array;
  private readonly tmp: Float32Array;
  private readonly changed: Uint8Array;
  private readonly labels: Int32Array;
  private readonly stack: Int32Array;

  constructor(opts: MotionGateOptions) {
    if (!Number.isInteger(opts.width) || !Number.isInteger(opts.height) || opts.width < 4 || opts.height < 4) {
      throw new RangeError(`motion frame size must be at least 4x4 (got ${opts.width}x${opts.height})`);
    }
    this.width = opts.width;
    this.height = opts.height;
    this.settings = { ...BASELINE_MOTION_SETTINGS, ...opts.settings };
    this.alpha = opts.alpha ?? 0.02;
    this.blurRadius = opts.blurRadius ?? 2;
    this.calibrationFrames = opts.calibrationFrames ?? 3;
    this.mask = rasterizePolygons(this.settings.mask, this.width, this.height);
    this.watched = countWatched(this.mask);
    const n = this.width * this.height;
    this.blurred = new Float32Array(n);
    this.tmp = new Float32Array(n);
    this.changed = new Uint8Array(n);
    this.labels = new Int32Array(n);
    this.stack = new Int32Array(n);
  }

  /** Forget the background (e.g. after the camera reconnects). */
  reset(): void {
    this.background = undefined;
  }

  /** Feeds one frame (width*height bytes, 8-bit gray) and returns whether it shows motion. */
  update(frame: Uint8Array): MotionResult {
    const n = this.width * this.height;
    if (frame.length < n) throw new RangeError(`motion frame has ${frame.length} bytes, expected ${n}`);
    this.blur(frame);
    const cur = this.blurred;
    if (!this.background) {
      this.background = Float32Array.from(cur);
      this.calibrateLeft = this.calibrationFrames;
      return { motion: false, changedFraction: 0, motionFraction: 0, calibrating: true };
    }
    const bg = this.background;
    if (this.watched === 0) {
      this.learn(cur, 1);
      return { motion: false, changedFraction: 0, motionFraction: 0, calibrating: false };
    }

    // A global brightness change moves every pixel by about the same amount: the median shift cancels it
    // while a moving object (a minority of pixels) does not move the median.
    const shift = this.medianShift(cur, bg);
    const threshold = this.settings.threshold;
    let changedCount = 0;
    for (let i = 0; i < n; i++) {
      const c = this.mask[i] === 0 && Math.abs(cur[i]! - bg[i]! - shift) > threshold ? 1 : 0;
      this.changed[i] = c;
      changedCount += c;
    }
    const changedFraction = changedCount / this.watched;

    if (this.calibrateLeft > 0) {
      this.calibrateLeft--;
      this.learn(cur, 0.5);
      return { motion: false, changedFraction, motionFraction: 0, calibrating: true };
    }
    if (changedFraction >= this.settings.lightning_threshold) {
      // Lights switched, IR mode, camera moved: not an intruder. Start over from this frame.
      this.background = Float32Array.from(cur);
      this.calibrateLeft = this.calibrationFrames;
      return { motion: false, changedFraction, motionFraction: 0, calibrating: true };
    }

    const { area, box } = this.regions(Math.max(1, Math.ceil(this.settings.contour_area * this.watched)));
    this.learn(cur, this.alpha, shift);
    return {
      motion: area > 0,
      changedFraction,
      motionFraction: area / this.watched,
      box,
      calibrating: false,
    };
  }

  /** Running average; changed pixels learn slower so a passing object is not absorbed while it moves. */
  private learn(cur: Float32Array, alpha: number, shift = 0): void {
    const bg = this.background!;
    for (let i = 0; i < bg.length; i++) {
      // The light shift is adopted at once so a slow dimming never accumulates into "motion".
      const target = cur[i]!;
      const a = this.changed[i] ? alpha / 4 : alpha;
      bg[i] = (bg[i]! + shift) * (1 - a) + target * a;
    }
  }

  private medianShift(cur: Float32Array, bg: Float32Array): number {
    const hist = new Uint32Array(511);
    for (let i = 0; i < cur.length; i++) {
      if (this.mask[i]) continue;
      const d = Math.round(cur[i]! - bg[i]!);
      hist[Math.max(-255, Math.min(255, d)) + 255]! += 1;
    }
    const half = this.watched / 2;
    let acc = 0;
    for (let k = 0; k < hist.length; k++) {
      acc += hist[k]!;
      if (acc >= half) return k - 255;
    }
    return 0;
  }

  /** Separable box blur into `this.blurred`. */
  private blur(frame: Uint8Array): void {
    const { width: w, height: h, blurRadius: r } = this;
    const out = this.blurred;
    if (r <= 0) {
      for (let i = 0; i < w * h; i++) out[i] = frame[i]!;
      return;
    }
    const tmp = this.tmp;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let s = 0;
        let c = 0;
        for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) {
          s += frame[row + k]!;
          c++;
        }
        tmp[row + x] = s / c;
      }
    }
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < h; y++) {
        let s = 0;
        let c = 0;
        for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) {
          s += tmp[k * w + x]!;
          c++;
        }
        out[y * w + x] = s / c;
      }
    }
  }

  /** Connected regions (4-neighbour) of changed pixels; keeps those of at least `minArea` pixels. */
  private regions(minArea: number): { area: number; box?: MotionBox } {
    const { width: w, height: h } = this;
    const labels = this.labels;
    labels.fill(0);
    let total = 0;
    let x0 = w;
    let y0 = h;
    let x1 = -1;
    let y1 = -1;
    let next = 0;
    for (let start = 0; start < w * h; start++) {
      if (!this.changed[start] || labels[start]) continue;
      next++;
      let sp = 0;
      this.stack[sp++] = start;
      labels[start] = next;
      let area = 0;
      let rx0 = w;
      let ry0 = h;
      let rx1 = -1;
      let ry1 = -1;
      while (sp > 0) {
        const p = this.stack[--sp]!;
        area++;
        const px = p % w;
        const py = (p - px) / w;
        if (px < rx0) rx0 = px;
        if (px > rx1) rx1 = px;
        if (py < ry0) ry0 = py;
        if (py > ry1) ry1 = py;
        const nb = [px > 0 ? p - 1 : -1, px < w - 1 ? p + 1 : -1, py > 0 ? p - w : -1, py < h - 1 ? p + w : -1];
        for (const q of nb) {
          if (q >= 0 && this.changed[q] && !labels[q]) {
            labels[q] = next;
            this.stack[sp++] = q;
          }
        }
      }
      if (area >= minArea) {
        total += area;
        x0 = Math.min(x0, rx0);
        y0 = Math.min(y0, ry0);
        x1 = Math.max(x1, rx1);
        y1 = Math.max(y1, ry1);
      }
    }
    if (total === 0) return { area: 0 };
    return {
      area: total,
      box: { x: x0 / w, y: y0 / h, width: (x1 - x0 + 1) / w, height: (y1 - y0 + 1) / h },
    };
  }
}
