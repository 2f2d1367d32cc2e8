import type { MotionSettings } from '@vigint/contracts';
import { countWatched, rasterizePolygons } from './polygon-mask';

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
  /** Fraction of watched pixels inside regions that count as motion (≥ contour_area, not a light change). */
  motionFraction: number;
  /** Union of the regions that count as motion. */
  box?: MotionBox;
  /** One box per region that counts as motion, largest first. */
  boxes: MotionBox[];
  /** True when this frame reset the background (warm-up, or most of the image changed at once). */
  calibrating: boolean;
  /**
   * True when this frame changed by light rather than by something moving: a frame-wide step (lights, IR
   * switch) that made the gate recalibrate, or a region whose change is smooth illumination (headlights, a lamp,
   * a cloud's shadow) that was ignored. Never motion; a scene memory should not count it as something new.
   */
  lightChange: boolean;
  /** Estimated sensor noise of the compared (blurred) frame, in grey levels. */
  noise: number;
  /** The per-pixel difference (grey levels of the raw frame) above which a pixel counted as changed. */
  threshold: number;
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

export const DEFAULT_MOTION_SETTINGS: Required<MotionSettings> = {
  threshold: 10,
  contour_area: 0.004,
  lightning_threshold: 0.6,
  mask: [],
  improve_contrast: true,
  noise_factor: 4,
};

/** Frames over which the contrast range is averaged (Frigate's contrast_frame_history). */
const CONTRAST_HISTORY = 50;
/** Frames whose noise estimates are combined (their median). */
const NOISE_HISTORY = 9;
/** No per-pixel threshold below this many grey levels, however clean the picture (quantisation, encoder). */
const MIN_THRESHOLD = 2.5;
/** A change of at least this fraction of the frame at once, right after a quiet frame, is a light switch. */
const SUDDEN_CHANGE = 0.25;
/** Radius (px) of the local mean that the log-ratio is compared with in the light test. */
const LIGHT_RADIUS = 3;
/** A region whose log-ratio has sharp edges on fewer than this fraction of its pixels (and margin) is light. */
const LIGHT_EDGE_FRACTION = 0.06;
/** Fraction of a region's changed pixels that must have been changed in the previous frame too. */
const PERSISTENCE = 0.3;
/** Tile size (px) of the light test's second look, and the edge fraction that makes a tile an object. */
const TILE = 16;
const TILE_EDGE_FRACTION = 0.2;
/** Bands of background levels whose medians the frame-wide change of light is fitted on. */
const BANDS = 32;
const BAND_SHIFT = 3;
/** A band further than this (grey levels) from the first fit is left out of the second. */
const BAND_RESIDUAL = 3;
/** The bands fitted must span at least this many grey levels. */
const MIN_BAND_SPREAD = 24;
/** Bins per unit of the frame/background ratio histogram (ratios up to 4 are told apart). */
const RATIO_STEPS = 256;
/** A global gain change of more than this (log) between two frames is reported as a light change. */
const LIGHT_STEP = 0.1;
/** Weight of a frame in the per-pixel variance (about 4 s at 5 fps). */
const VARIANCE_RATE = 0.05;
const LEARN_MOTION = 1;
const LEARN_LIGHT = 2;
/** Regions of at least this many pixels (4 tiles) are also judged tile by tile. */
const LARGE_REGION = 4 * 16 * 16;
/** Motion that stays unchanged (within twice the threshold) this many frames (1 s at 5 fps) is absorbed. */
const STILL_FRAMES = 5;
/** Weight of a frame in the background on a frame changed by light. */
const LIGHT_ALPHA = 0.5;
/** Offset that keeps the log-ratio finite and calm in black areas. */
const LOG_OFFSET = 8;

/**
 * Decides whether a small grayscale frame (about 160 px wide) shows motion, Frigate-style, and beyond it.
 * Per frame: masked pixels are zeroed and the frame is blurred; it is compared with a running-average
 * background once the global gain is taken out (the median ratio frame/background: light multiplies what the
 * scene reflects); changed pixels are dilated into regions and regions of at least `contour_area` changed
 * pixels count as motion.
 *
 * - Contrast normalisation: `threshold` applies to the frame stretched from its 4th to its 96th percentile
 *   (averaged over 50 frames, as Frigate's improve_contrast). Applied to the threshold rather than to every
 *   pixel: a difference d on the stretched frame is d·span/255 raw levels, so a dull or dark scene gets a
 *   lower raw threshold without a per-pixel pass.
 * - Noise: the threshold is at least `noise_factor` × the camera's own noise (median absolute frame-to-frame
 *   difference, which moving objects cannot move, combined over 9 frames), and per pixel at least
 *   `noise_factor` × that pixel's own deviation, learnt where nothing moves (rain, flicker, a noisy corner).
 * - Persistence: a region must overlap the previous frame's changed pixels (rain streaks and flicker do not).
 * - Light: a sudden change of much of the frame right after a quiet one (lights switched, IR mode) or most of
 *   the frame changed in a way that is not smooth light makes the gate start over instead of reporting
 *   motion; a region whose change is smooth illumination (its log-ratio to the background has no sharp edges,
 *   unlike anything in front of the background) is a light change, learnt at once, with the tiles of it that
 *   do hold edges kept as motion (a person in a headlight beam).
 * - Motion that stays unchanged for 1 s (someone who stopped, or the ghost a reset background keeps) is
 *   absorbed into the background.
 *
 * Pure: no I/O, one instance per camera.
 */
export class MotionGate {
  readonly width: number;
  readonly height: number;
  readonly settings: Required<MotionSettings>;
  private readonly mask: Uint8Array;
  private readonly watched: number;
  private readonly alpha: number;
  private readonly blurRadius: number;
  private readonly calibrationFrames: number;
  private background: Float32Array | undefined;
  private calibrateLeft = 0;
  private varianceFrames = 0;
  private noise = 0;
  private readonly noiseHistory: number[] = [];
  private previousFraction = 0;
  private readonly contrastLo = new Float32Array(CONTRAST_HISTORY);
  private readonly contrastHi = new Float32Array(CONTRAST_HISTORY);
  private contrastIndex = 0;
  private readonly input: Float32Array;
  private readonly previousFrame: Float32Array;
  private readonly blurred: Float32Array;
  private readonly tmp: Float32Array;
  private readonly diff: Float32Array;
  private readonly changed: Uint8Array;
  /** The previous frame's changed pixels: motion must overlap them (rain and flicker do not persist). */
  private readonly previous: Uint8Array;
  private readonly dilated: Uint8Array;
  /** Per pixel: LEARN_MOTION = part of a motion region (learns slower), 0 = the rest. */
  private readonly learnRate: Uint8Array;
  /** Per-pixel variance of the difference from the background, learnt where nothing moves. */
  private readonly variance: Float32Array;
  /** Per pixel: frames it has been part of motion without changing from one frame to the next. */
  private readonly stillAge: Uint8Array;
  private readonly labels: Int32Array;
  private readonly stack: Int32Array;
  private readonly lumaHist = new Uint32Array(256);
  private readonly ratioHist = new Uint32Array(4 * RATIO_STEPS + 1);
  private readonly bandHist = new Uint32Array(BANDS * 256);
  private readonly bandCount = new Uint32Array(BANDS);
  private readonly bandSum = new Float64Array(BANDS);
  /** This frame's frame-wide change of light: expected frame = lightOffset + lightSlope × background. */
  private lightOffset = 0;
  private lightSlope = 1;
  private readonly noiseHist = new Uint32Array(2 * 255 * 4 + 1);
  private readonly devHist = new Uint32Array(255 * 4 + 1);

  constructor(opts: MotionGateOptions) {
    if (!Number.isInteger(opts.width) || !Number.isInteger(opts.height) || opts.width < 4 || opts.height < 4) {
      throw new RangeError(`motion frame size must be at least 4x4 (got ${opts.width}x${opts.height})`);
    }
    this.width = opts.width;
    this.height = opts.height;
    this.settings = { ...DEFAULT_MOTION_SETTINGS, ...withoutUndefined(opts.settings) };
    this.alpha = opts.alpha ?? 0.02;
    this.blurRadius = opts.blurRadius ?? 1;
    this.calibrationFrames = opts.calibrationFrames ?? 3;
    this.mask = rasterizePolygons(this.settings.mask, this.width, this.height);
    this.watched = countWatched(this.mask);
    const n = this.width * this.height;
    this.input = new Float32Array(n);
    this.previousFrame = new Float32Array(n);
    this.blurred = new Float32Array(n);
    this.tmp = new Float32Array(n);
    this.diff = new Float32Array(n);
    this.changed = new Uint8Array(n);
    this.previous = new Uint8Array(n);
    this.dilated = new Uint8Array(n);
    this.learnRate = new Uint8Array(n);
    this.variance = new Float32Array(n);
    this.stillAge = new Uint8Array(n);
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
    const span = this.contrast(frame);
    // Masked pixels are zeroed before the blur (as Frigate does) so nothing moving under a mask bleeds out.
    const input = this.input;
    for (let i = 0; i < n; i++) input[i] = this.mask[i] ? 0 : frame[i]!;
    boxBlur(input, this.blurred, this.tmp, this.width, this.height, this.blurRadius);
    const cur = this.blurred;
    const still = { motion: false, motionFraction: 0, boxes: [], noise: this.noise };
    if (!this.background) {
      this.background = Float32Array.from(cur);
      this.previousFrame.set(cur);
      this.startCalibration(frame);
      return { ...still, changedFraction: 0, calibrating: true, lightChange: false, threshold: 0 };
    }
    const bg = this.background;
    if (this.watched === 0) {
      this.learnFlat(cur, this.alpha, MIN_THRESHOLD);
      return { ...still, changedFraction: 0, calibrating: false, lightChange: false, threshold: 0 };
    }

    // The threshold uses the noise known before this frame: a light step must not raise it in the same frame.
    const noise = this.noise;
    const gain = this.measureDifference(cur, bg);
    const sigma = this.measureNoise(cur);
    const threshold = Math.max(
      MIN_THRESHOLD,
      this.settings.noise_factor * noise,
      this.settings.improve_contrast ? (this.settings.threshold * span) / 255 : this.settings.threshold,
    );
    // Per pixel, the threshold also covers that pixel's own variance (rain, flicker, a noisy corner).
    const t2 = threshold * threshold;
    const k2 = this.settings.noise_factor ** 2;
    let changedCount = 0;
    const diff = this.diff;
    const variance = this.variance;
    for (let i = 0; i < n; i++) {
      const d = diff[i]!;
      const v = k2 * variance[i]!;
      const c = this.mask[i] === 0 && d * d > (v > t2 ? v : t2) ? 1 : 0;
      this.changed[i] = c;
      changedCount += c;
    }
    const changedFraction = changedCount / this.watched;
    const previousFraction = this.previousFraction;
    this.previousFraction = changedFraction;
    const base = { changedFraction, noise, threshold };
    // A global gain step between two frames (the median ratio; the background follows it every frame).
    const lightStep = Math.abs(Math.log(gain)) > LIGHT_STEP;

    if (this.calibrateLeft > 0) {
      this.calibrateLeft--;
      // Only the first calibration teaches the noise: later ones follow a light change still settling.
      if (this.noiseHistory.length < NOISE_HISTORY) this.addNoise(sigma);
      this.learnFlat(cur, 0.5, threshold);
      this.previousFrame.set(cur);
      this.previous.fill(0);
      return { ...base, motion: false, motionFraction: 0, boxes: [], calibrating: true, lightChange: lightStep };
    }
    const sudden = changedFraction >= SUDDEN_CHANGE && previousFraction < SUDDEN_CHANGE / 4;
    let regions: { area: number; boxes: MotionBox[]; light: boolean } | undefined;
    if (!sudden) {
      dilate(this.changed, this.dilated, this.tmp, this.width, this.height);
      const minArea = Math.max(1, Math.ceil(this.settings.contour_area * this.watched));
      regions = this.regions(minArea, cur, bg, threshold, noise);
    }
    // A sudden change of much of the frame (lights switched, IR mode, camera moved), or most of the frame
    // changed in a way that is not smooth light (a beam sweeping across is, and keeps what moves in it): not an
    // intruder. Start over from this frame.
    if (!regions || (changedFraction >= this.settings.lightning_threshold && !regions.light)) {
      this.background = Float32Array.from(cur);
      this.previousFrame.set(cur);
      this.startCalibration(frame);
      return { ...base, motion: false, motionFraction: 0, boxes: [], calibrating: true, lightChange: true };
    }
    const { area, boxes } = regions;
    const light = regions.light || lightStep;
    if (!light && changedFraction < 0.5) this.addNoise(sigma);
    this.learn(cur, gain, threshold, light);
    this.previousFrame.set(cur);
    this.previous.set(this.changed);
    const box = union(boxes);
    return {
      ...base,
      motion: area > 0,
      motionFraction: area / this.watched,
      ...(box ? { box } : {}),
      boxes,
      calibrating: false,
      lightChange: light,
    };
  }

  private startCalibration(frame: Uint8Array): void {
    this.calibrateLeft = this.calibrationFrames;
    this.variance.fill(this.noise * this.noise);
    this.varianceFrames = 0;
    this.resetContrast(frame);
    this.previousFraction = 0;
    this.previous.fill(0);
  }

  /**
   * The median of the last frames' noise estimates follows lasting noise (rain, IR) within a second and ignores
   * a few odd frames; frames changed by light are not offered (their difference is light, not noise).
   */
  private addNoise(sigma: number): void {
    this.noiseHistory.push(sigma);
    if (this.noiseHistory.length > NOISE_HISTORY) this.noiseHistory.shift();
    this.noise = median(this.noiseHistory);
  }

  /**
   * The frame's contrast span (4th to 96th percentile of the watched pixels, averaged over the last frames),
   * which the contrast-normalised threshold is scaled by.
   */
  private contrast(frame: Uint8Array): number {
    const [lo, hi] = this.percentiles(frame);
    if (hi > lo) {
      this.contrastLo[this.contrastIndex] = lo;
      this.contrastHi[this.contrastIndex] = hi;
      this.contrastIndex = (this.contrastIndex + 1) % CONTRAST_HISTORY;
    }
    let sum = 0;
    for (let k = 0; k < CONTRAST_HISTORY; k++) sum += this.contrastHi[k]! - this.contrastLo[k]!;
    return Math.max(1, sum / CONTRAST_HISTORY);
  }

  /** A new light regime: the contrast history restarts from this frame instead of averaging two scenes. */
  private resetContrast(frame: Uint8Array): void {
    const [lo, hi] = this.percentiles(frame);
    this.contrastLo.fill(lo);
    this.contrastHi.fill(Math.max(hi, lo + 1));
  }

  private percentiles(frame: Uint8Array): [number, number] {
    const hist = this.lumaHist;
    hist.fill(0);
    const n = this.width * this.height;
    for (let i = 0; i < n; i++) if (this.mask[i] === 0) hist[frame[i]!]! += 1;
    return [histogramQuantile(hist, this.watched * 0.04), histogramQuantile(hist, this.watched * 0.96)];
  }

  /**
   * Fills `diff` with the difference from the background once the global change of light is taken out, and
   * returns the median ratio frame/background (the gain). The global change is fitted as cur = a + b·bg over
   * the median frame value of each band of background levels: light multiplies what the scene reflects, and a
   * camera's auto-exposure also lifts the dark levels more than the bright ones; a moving object is a minority
   * of each band and does not move its median. Too few bands (a flat wall): the gain alone.
   */
  private measureDifference(cur: Float32Array, bg: Float32Array): number {
    const n = cur.length;
    const hist = this.ratioHist;
    const bands = this.bandHist;
    const count = this.bandCount;
    const sumX = this.bandSum;
    hist.fill(0);
    bands.fill(0);
    count.fill(0);
    sumX.fill(0);
    const top = hist.length - 1;
    for (let i = 0; i < n; i++) {
      if (this.mask[i]) continue;
      const x = bg[i]!;
      const y = cur[i]!;
      const r = Math.round(((y + LOG_OFFSET) / (x + LOG_OFFSET)) * RATIO_STEPS);
      hist[r > top ? top : r]! += 1;
      const band = x <= 0 ? 0 : x >= 255 ? BANDS - 1 : x >> BAND_SHIFT;
      const v = y <= 0 ? 0 : y >= 255 ? 255 : (y + 0.5) | 0;
      bands[band * 256 + v]! += 1;
      count[band]! += 1;
      sumX[band]! += x;
    }
    const gain = Math.max(1, histogramQuantile(hist, this.watched / 2)) / RATIO_STEPS;
    this.fitLight(gain);
    const { lightOffset: a, lightSlope: b } = this;
    const diff = this.diff;
    for (let i = 0; i < n; i++) diff[i] = cur[i]! - (a + b * bg[i]!);
    return gain;
  }

  /** Weighted least squares of band medians (twice, without the bands the first fit does not explain). */
  private fitLight(gain: number): void {
    const minCount = Math.max(16, this.watched * 0.01);
    const xs: number[] = [];
    const ys: number[] = [];
    const ws: number[] = [];
    for (let band = 0; band < BANDS; band++) {
      const c = this.bandCount[band]!;
      if (c < minCount) continue;
      xs.push(this.bandSum[band]! / c);
      ys.push(histogramQuantile(this.bandHist.subarray(band * 256, band * 256 + 256), c / 2));
      ws.push(c);
    }
    // The gain model, cur + 8 = gain·(bg + 8), as a line: the fallback.
    this.lightSlope = gain;
    this.lightOffset = LOG_OFFSET * (gain - 1);
    let keep = xs.map(() => true);
    for (let pass = 0; pass < 2; pass++) {
      const fit = weightedLine(xs, ys, ws, keep);
      if (!fit || fit.slope < 0.25 || fit.slope > 4) return;
      this.lightSlope = fit.slope;
      this.lightOffset = fit.offset;
      keep = xs.map((x, k) => Math.abs(ys[k]! - (fit.offset + fit.slope * x)) <= BAND_RESIDUAL);
    }
  }

  /**
   * This frame's noise: the median absolute difference from the previous frame (quarter-level histogram: a
   * clean blurred frame's noise is well below one level), over sqrt(2) as both frames carry noise, x 1.4826
   * (MAD to σ for normal noise). Frame to frame, a background still catching up with a light change does
   * not count as noise, and a moving object is a minority of pixels.
   */
  private measureNoise(cur: Float32Array): number {
    const prev = this.previousFrame;
    const n = cur.length;
    const hist = this.noiseHist;
    hist.fill(0);
    const mid = (hist.length - 1) / 2;
    for (let i = 0; i < n; i++) {
      if (this.mask[i]) continue;
      const k = Math.round((cur[i]! - prev[i]!) * 4) + mid;
      hist[k < 0 ? 0 : k > 2 * mid ? 2 * mid : k]! += 1;
    }
    const center = histogramQuantile(hist, this.watched / 2);
    const dev = this.devHist;
    dev.fill(0);
    const top = dev.length - 1;
    for (let k = 0; k < hist.length; k++) {
      const d = Math.abs(k - center);
      dev[d > top ? top : d]! += hist[k]!;
    }
    return ((histogramQuantile(dev, this.watched / 2) / 4) * 1.4826) / Math.SQRT2;
  }

  /**
   * Running average; changed pixels learn slower so a passing object is not absorbed while it moves, light
   * regions at once, and the global gain is adopted at once so a slow dimming never accumulates. Pixels that
   * are neither motion nor light teach their noise (rain, flicker) to the per-pixel variance.
   */
  private learn(cur: Float32Array, gain: number, threshold: number, light: boolean): void {
    const bg = this.background!;
    const variance = this.variance;
    // After a light change the whole background follows at once (re-lit in patches, it would show the
    // patches' edges to the next frames' light test), except where something moves.
    const alpha = light ? LIGHT_ALPHA : this.alpha;
    const cap = (4 * threshold) ** 2;
    const varRate = this.varianceRate();
    const still2 = 4 * threshold * threshold;
    for (let i = 0; i < bg.length; i++) {
      let moving = this.learnRate[i] === LEARN_MOTION;
      if (moving) {
        // Motion that has not moved for a while (someone who stopped, or the ghost they left in the background
        // when it was reset): absorbed, as Frigate averages lasting motion in.
        const step = cur[i]! - this.previousFrame[i]!;
        const age = step * step < still2 ? Math.min(255, this.stillAge[i]! + 1) : 0;
        this.stillAge[i] = age;
        if (age > STILL_FRAMES) moving = false;
      } else this.stillAge[i] = 0;
      const rate = this.learnRate[i];
      const a = moving ? this.alpha / 4 : rate === LEARN_MOTION || rate === LEARN_LIGHT ? LIGHT_ALPHA : alpha;
      bg[i] = (this.lightOffset + this.lightSlope * bg[i]!) * (1 - a) + cur[i]! * a;
      if (this.learnRate[i] === 0 && !light) {
        const d = this.diff[i]!;
        variance[i] = variance[i]! * (1 - varRate) + Math.min(d * d, cap) * varRate;
      }
    }
  }

  /** Calibration: the background moves halfway to the frame; the variance learns from every pixel. */
  private learnFlat(cur: Float32Array, alpha: number, threshold: number): void {
    const bg = this.background!;
    const cap = (4 * threshold) ** 2;
    const varRate = this.varianceRate();
    for (let i = 0; i < bg.length; i++) {
      const d = this.diff[i]!;
      this.variance[i] = this.variance[i]! * (1 - varRate) + Math.min(d * d, cap) * varRate;
      bg[i] = bg[i]! * (1 - alpha) + cur[i]! * alpha;
    }
  }

  /** A plain mean over the first frames after a reset (rain from the start is learnt at once), then a slow one. */
  private varianceRate(): number {
    return Math.max(VARIANCE_RATE, 1 / ++this.varianceFrames);
  }

  /**
   * Connected regions (4-neighbour) of dilated changed pixels; a region's area is its changed pixels before
   * dilation (dilation only joins them). Keeps those of at least `minArea` that persist from the previous frame
   * and are not a light change; marks the motion ones in `learnRate`.
   */
  private regions(
    minArea: number,
    cur: Float32Array,
    bg: Float32Array,
    threshold: number,
    noise: number,
  ): { area: number; boxes: MotionBox[]; light: boolean } {
    const { width: w, height: h } = this;
    const labels = this.labels;
    const joined = this.dilated;
    const changed = this.changed;
    const stack = this.stack;
    labels.fill(0);
    this.learnRate.fill(0);
    let total = 0;
    let light = false;
    const found: Array<MotionBox & { area: number }> = [];
    let next = 0;
    for (let start = 0; start < w * h; start++) {
      if (!joined[start] || labels[start]) continue;
      next++;
      let sp = 0;
      stack[sp++] = start;
      labels[start] = next;
      let area = 0;
      let kept = 0;
      let rx0 = w;
      let ry0 = h;
      let rx1 = -1;
      let ry1 = -1;
      while (sp > 0) {
        const p = stack[--sp]!;
        if (changed[p]) {
          area++;
          if (this.previous[p]) kept++;
        }
        const px = p % w;
        const py = (p - px) / w;
        if (px < rx0) rx0 = px;
        if (px > rx1) rx1 = px;
        if (py < ry0) ry0 = py;
        if (py > ry1) ry1 = py;
        if (px > 0 && joined[p - 1] && !labels[p - 1]) {
          labels[p - 1] = next;
          stack[sp++] = p - 1;
        }
        if (px < w - 1 && joined[p + 1] && !labels[p + 1]) {
          labels[p + 1] = next;
          stack[sp++] = p + 1;
        }
        if (py > 0 && joined[p - w] && !labels[p - w]) {
          labels[p - w] = next;
          stack[sp++] = p - w;
        }
        if (py < h - 1 && joined[p + w] && !labels[p + w]) {
          labels[p + w] = next;
          stack[sp++] = p + w;
        }
      }
      if (area < minArea || kept < PERSISTENCE * area) continue;
      const object = this.objectPart(next, area, { x0: rx0, y0: ry0, x1: rx1, y1: ry1 }, cur, bg, threshold, noise);
      light ||= object.lit;
      const moving = object.area >= minArea;
      for (let y = ry0; y <= ry1; y++) {
        for (let x = rx0; x <= rx1; x++)
          if (moving && labels[y * w + x] === next) this.learnRate[y * w + x] = LEARN_MOTION;
      }
      // Light tiles of the region, the whole tile (re-lit in patches, the background would show their edges).
      for (let k = 0; k < object.smooth.length; k += 2) {
        const tx = object.smooth[k]!;
        const ty = object.smooth[k + 1]!;
        for (let y = ty; y < Math.min(h, ty + TILE); y++)
          this.learnRate.fill(LEARN_LIGHT, y * w + tx, y * w + Math.min(w, tx + TILE));
      }
      if (!moving) continue;
      const b = object.box;
      total += object.area;
      found.push({ x: b.x0 / w, y: b.y0 / h, width: (b.x1 - b.x0 + 1) / w, height: (b.y1 - b.y0 + 1) / h, area });
    }
    found.sort((a, b) => b.area - a.area);
    return { area: total, boxes: found.map(({ x, y, width, height }) => ({ x, y, width, height })), light };
  }

  /**
   * The part of a region that is not a light change. Light multiplies what the background reflects, so the
   * log-ratio of frame to background is smooth across a re-lit area (headlights, a lamp, a cloud's shadow),
   * whatever its texture; something in front of the background has edges of its own, where the log-ratio
   * jumps. Counts "edge" pixels (region and a margin) where the log-ratio departs from its local mean by more
   * than the noise or half the threshold explain. Enough of them: the whole region is an object. Few: it is
   * light, except the tiles (16 px) crowded with edges, which hold an object inside the light (a person
   * walking through a headlight beam).
   */
  private objectPart(
    label: number,
    area: number,
    box: Box,
    cur: Float32Array,
    bg: Float32Array,
    threshold: number,
    noise: number,
  ): { area: number; box: Box; lit: boolean; smooth: number[] } {
    const { width: w, height: h } = this;
    const m = LIGHT_RADIUS + 1;
    const x0 = Math.max(0, box.x0 - m);
    const y0 = Math.max(0, box.y0 - m);
    const x1 = Math.min(w - 1, box.x1 + m);
    const y1 = Math.min(h - 1, box.y1 + m);
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const q = new Float32Array(bw * bh);
    const weight = new Float32Array(bw * bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const i = (y0 + y) * w + x0 + x;
        if (this.mask[i]) continue;
        // Against the background itself, not the fitted frame-wide change: a fit pulled by a large beam would
        // bring the texture into the log-ratio, while any gain is a constant there, which the local mean removes.
        q[y * bw + x] = Math.log((cur[i]! + LOG_OFFSET) / (bg[i]! + LOG_OFFSET));
        weight[y * bw + x] = 1;
      }
    }
    const qs = new Float32Array(bw * bh);
    const ws = new Float32Array(bw * bh);
    const scratch = new Float32Array(bw * bh);
    boxSum(q, qs, scratch, bw, bh, LIGHT_RADIUS);
    boxSum(weight, ws, scratch, bw, bh, LIGHT_RADIUS);
    const edgeLevel = Math.max(3 * noise, threshold / 2);
    const tx0 = Math.floor(x0 / TILE);
    const ty0 = Math.floor(y0 / TILE);
    const tw = Math.floor(x1 / TILE) - tx0 + 1;
    const tileEdges = new Uint32Array(tw * (Math.floor(y1 / TILE) - ty0 + 1));
    const tileArea = new Uint32Array(tileEdges.length);
    let edges = 0;
    let near = 0;
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const k = y * bw + x;
        if (!weight[k]) continue;
        const i = (y0 + y) * w + x0 + x;
        // Only the region and its surroundings: another region inside the box says nothing about this one.
        if (this.labels[i] !== label && this.labels[i] !== 0) continue;
        near++;
        const tile = (Math.floor((y0 + y) / TILE) - ty0) * tw + Math.floor((x0 + x) / TILE) - tx0;
        if (this.labels[i] === label && this.changed[i]) tileArea[tile]! += 1;
        if (Math.abs(q[k]! - qs[k]! / ws[k]!) > edgeLevel / (bg[i]! + LOG_OFFSET)) {
          edges++;
          tileEdges[tile]! += 1;
        }
      }
    }
    const lit = edges < LIGHT_EDGE_FRACTION * near;
    // A large region may join an object and light (or the stale light a reset background kept): judged per
    // tile, the smooth tiles are light and learnt at once, the others are the object.
    if (!lit && area < LARGE_REGION) return { area, box, lit: false, smooth: [] };
    const tileLimit = lit ? TILE_EDGE_FRACTION : LIGHT_EDGE_FRACTION;
    let objectArea = 0;
    const part = { x0: w, y0: h, x1: -1, y1: -1 };
    const smooth: number[] = [];
    for (let t = 0; t < tileEdges.length; t++) {
      const tx = (tx0 + (t % tw)) * TILE;
      const ty = (ty0 + Math.floor(t / tw)) * TILE;
      if (tileArea[t]! < TILE || tileEdges[t]! < tileLimit * tileArea[t]!) {
        if (tileArea[t]! > 0) smooth.push(tx, ty);
        continue;
      }
      objectArea += tileArea[t]!;
      part.x0 = Math.min(part.x0, Math.max(box.x0, tx));
      part.y0 = Math.min(part.y0, Math.max(box.y0, ty));
      part.x1 = Math.max(part.x1, Math.min(box.x1, tx + TILE - 1));
      part.y1 = Math.max(part.y1, Math.min(box.y1, ty + TILE - 1));
    }
    return { area: objectArea, box: part, lit: lit || smooth.length > 0, smooth };
  }
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Weighted least-squares line y = offset + slope·x over the kept points; undefined when x hardly varies. */
function weightedLine(
  xs: number[],
  ys: number[],
  ws: number[],
  keep: boolean[],
): { offset: number; slope: number } | undefined {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < xs.length; k++) {
    if (!keep[k]) continue;
    sw += ws[k]!;
    sx += ws[k]! * xs[k]!;
    sy += ws[k]! * ys[k]!;
    lo = Math.min(lo, xs[k]!);
    hi = Math.max(hi, xs[k]!);
  }
  // A flat wall spans one or two bands: a line through them would follow noise, not light.
  if (sw === 0 || hi - lo < MIN_BAND_SPREAD) return undefined;
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let k = 0; k < xs.length; k++) {
    if (!keep[k]) continue;
    sxx += ws[k]! * (xs[k]! - mx) ** 2;
    sxy += ws[k]! * (xs[k]! - mx) * (ys[k]! - my);
  }
  const slope = sxy / sxx;
  return { offset: my - slope * mx, slope };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Smallest histogram bin at which the cumulative count reaches `rank`. */
function histogramQuantile(hist: Uint32Array, rank: number): number {
  let acc = 0;
  for (let k = 0; k < hist.length; k++) {
    acc += hist[k]!;
    if (acc >= rank) return k;
  }
  return hist.length - 1;
}

/** Separable box mean with edge normalisation, by running sums: O(pixels) whatever the radius. */
function boxBlur(src: Float32Array, out: Float32Array, tmp: Float32Array, w: number, h: number, r: number): void {
  if (r <= 0) {
    out.set(src.subarray(0, w * h));
    return;
  }
  boxSum(src, out, tmp, w, h, r);
  for (let y = 0; y < h; y++) {
    const cy = Math.min(h - 1, y + r) - Math.max(0, y - r) + 1;
    for (let x = 0; x < w; x++) {
      const cx = Math.min(w - 1, x + r) - Math.max(0, x - r) + 1;
      out[y * w + x] = out[y * w + x]! / (cx * cy);
    }
  }
}

/** Separable box sum (no normalisation) of radius r, clipped at the edges. */
function boxSum(src: Float32Array, out: Float32Array, tmp: Float32Array, w: number, h: number, r: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let s = 0;
    for (let x = 0; x <= Math.min(w - 1, r); x++) s += src[row + x]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = s;
      if (x + r + 1 < w) s += src[row + x + r + 1]!;
      if (x - r >= 0) s -= src[row + x - r]!;
    }
  }
  for (let x = 0; x < w; x++) {
    let s = 0;
    for (let y = 0; y <= Math.min(h - 1, r); y++) s += tmp[y * w + x]!;
    for (let y = 0; y < h; y++) {
      out[y * w + x] = s;
      if (y + r + 1 < h) s += tmp[(y + r + 1) * w + x]!;
      if (y - r >= 0) s -= tmp[(y - r) * w + x]!;
    }
  }
}

/** 3x3 binary dilation (fills holes between changed pixels, as Frigate dilates before finding contours). */
function dilate(src: Uint8Array, out: Uint8Array, tmp: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      tmp[i] = src[i]! | (x > 0 ? src[i - 1]! : 0) | (x < w - 1 ? src[i + 1]! : 0);
    }
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      out[i] = tmp[i]! || (y > 0 && tmp[i - w]!) || (y < h - 1 && tmp[i + w]!) ? 1 : 0;
    }
  }
}

function union(boxes: MotionBox[]): MotionBox | undefined {
  if (boxes.length === 0) return undefined;
  let x0 = 1;
  let y0 = 1;
  let x1 = 0;
  let y1 = 0;
  for (const b of boxes) {
    x0 = Math.min(x0, b.x);
    y0 = Math.min(y0, b.y);
    x1 = Math.max(x1, b.x + b.width);
    y1 = Math.max(y1, b.y + b.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
