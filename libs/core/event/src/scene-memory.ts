/** A motion region in normalised frame coordinates (0..1), as the motion gate reports it. */
export interface SceneBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What one frame's motion looked like: its regions and the fraction of the frame they cover. */
export interface SceneObservation {
  boxes: readonly SceneBox[];
  area: number;
}

export type Novelty = 'more-regions' | 'new-place' | 'larger-area';

export interface SceneMemoryOptions {
  /** Cells per side of the occupancy grid the frame is divided into. Default 8. */
  grid?: number;
  /** Cells outside the known ones (and their neighbours) a frame must touch to be "another part of the frame". Default 1. */
  newCells?: number;
  /** "Clearly larger": an area above the known one times this factor. Default 1.5. */
  areaGrowth?: number;
  /** And at least this much more of the frame (a fraction). Default 0.01. */
  minAreaGain?: number;
  /** Frames in a row that must show the same novelty, so one noisy frame is not "something new". Default 2. */
  persistFrames?: number;
}

interface Seen {
  cells: Uint8Array;
  area: number;
  regions: number;
}

/**
 * What the AI has already looked at during one motion run, so an ongoing ordinary scene is not sent again and
 * again: the grid cells motion occupied, the largest motion area and the most regions at once, up to the last
 * frames sent for a verdict of "nothing wrong". A frame is new when it shows more regions, motion away from every
 * known cell, or a clearly larger area. Pure and small: one per camera, reset at each new motion run.
 */
export class SceneMemory {
  private readonly grid: number;
  private readonly newCells: number;
  private readonly areaGrowth: number;
  private readonly minAreaGain: number;
  private readonly persistFrames: number;
  /** Everything motion covered since the run started (what the next frames sent would show). */
  private seen: Seen;
  /** `seen` as it was when frames were last sent for a verdict. */
  private asked: Seen | undefined;
  /** What a verdict of "nothing wrong" covered; undefined until the first such verdict of the run. */
  private known: Seen | undefined;
  /** Consecutive frames showing something new. */
  private streak = 0;

  constructor(opts: SceneMemoryOptions = {}) {
    this.grid = opts.grid ?? 8;
    this.newCells = opts.newCells ?? 1;
    this.areaGrowth = opts.areaGrowth ?? 1.5;
    this.minAreaGain = opts.minAreaGain ?? 0.01;
    this.persistFrames = opts.persistFrames ?? 2;
    this.seen = this.empty();
  }

  /** Forget the scene (a new motion run, a reconnect). */
  reset(): void {
    this.seen = this.empty();
    this.asked = undefined;
    this.known = undefined;
    this.streak = 0;
  }

  /** True once a verdict of "nothing wrong" was stored for this run. */
  get hasKnownScene(): boolean {
    return this.known !== undefined;
  }

  /**
   * Adds one motion frame to what has been seen and says whether it shows something the last calm verdict did not
   * cover (after `persistFrames` frames in a row).
   */
  observe(obs: SceneObservation): Novelty | undefined {
    const cells = this.cellsOf(obs.boxes);
    for (let i = 0; i < cells.length; i++) if (cells[i]) this.seen.cells[i] = 1;
    this.seen.area = Math.max(this.seen.area, obs.area);
    this.seen.regions = Math.max(this.seen.regions, obs.boxes.length);
    const kind = this.known ? this.novelty(cells, obs, this.known) : undefined;
    if (kind === undefined) {
      this.streak = 0;
      return undefined;
    }
    this.streak++;
    return this.streak >= this.persistFrames ? kind : undefined;
  }

  /** Frames were sent for a verdict: they show what has been seen up to now. */
  sampled(): void {
    this.asked = { cells: Uint8Array.from(this.seen.cells), area: this.seen.area, regions: this.seen.regions };
  }

  /** The verdict on the last frames sent was "nothing wrong": what they showed is now known. */
  calm(): void {
    if (!this.asked) return;
    this.known = this.asked;
    this.streak = 0;
  }

  private empty(): Seen {
    return { cells: new Uint8Array(this.grid * this.grid), area: 0, regions: 0 };
  }

  private cellsOf(boxes: readonly SceneBox[]): Uint8Array {
    const g = this.grid;
    const out = new Uint8Array(g * g);
    const cell = (v: number) => Math.min(g - 1, Math.max(0, Math.floor(v * g)));
    for (const b of boxes) {
      const x1 = cell(b.x + b.width - 1e-9);
      const y1 = cell(b.y + b.height - 1e-9);
      for (let y = cell(b.y); y <= y1; y++) for (let x = cell(b.x); x <= x1; x++) out[y * g + x] = 1;
    }
    return out;
  }

  private novelty(cells: Uint8Array, obs: SceneObservation, known: Seen): Novelty | undefined {
    if (obs.boxes.length > known.regions) return 'more-regions';
    if (obs.area > known.area * this.areaGrowth && obs.area - known.area >= this.minAreaGain) return 'larger-area';
    // Motion next to a known cell is the same thing moving on; a cell away from all of them is another place.
    const g = this.grid;
    let far = 0;
    for (let i = 0; i < cells.length; i++) {
      if (!cells[i] || known.cells[i]) continue;
      const cx = i % g;
      const cy = (i - cx) / g;
      let near = false;
      for (let dy = -1; dy <= 1 && !near; dy++) {
        for (let dx = -1; dx <= 1 && !near; dx++) {
          const x = cx + dx;
          const y = cy + dy;
          if (x >= 0 && y >= 0 && x < g && y < g && known.cells[y * g + x]) near = true;
        }
      }
      if (!near) far++;
    }
    return far >= this.newCells ? 'new-place' : undefined;
  }
}
