import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CAPTURE_SEGMENT_LIST } from '@vigint/ffmpeg';
import { SegmentIndex, type Segment } from './segment-index';

export interface RecordMaintainerOptions {
  /** The camera's temp dir: one `run-N` folder per ffmpeg run. */
  dir: string;
  /** Seconds of segments and snapshots kept behind "now" (pre-roll plus the long buffer). */
  retainSeconds: number;
  snapshotFps: number;
}

interface Run {
  dir: string;
  /** Camera-timeline time of the run's own 0. */
  offset: number;
}

/**
 * What the capture wrote to disk, as Frigate's record maintainer keeps it: the segment index (for clips),
 * the numbered JPEG snapshots (for the AI), and their retention. Knows nothing of ffmpeg processes: the
 * capture opens a run per ffmpeg and tells it the time.
 */
export class RecordMaintainer {
  readonly segments = new SegmentIndex();
  private readonly runs: Run[] = [];
  private snapshotPruneBefore = 0;

  constructor(private readonly opts: RecordMaintainerOptions) {}

  get runCount(): number {
    return this.runs.length;
  }

  /** A folder for the next ffmpeg run, whose times start at `offset` on the camera's timeline. */
  async startRun(offset: number): Promise<string> {
    const dir = join(this.opts.dir, `run-${this.runs.length}`);
    await mkdir(dir, { recursive: true });
    this.runs.push({ dir, offset });
    return dir;
  }

  /** Picks up completed segments and deletes what is older than the retention window before `now`. */
  async refresh(now: number): Promise<void> {
    for (const run of this.runs) {
      await this.segments.refresh(run.dir, join(run.dir, CAPTURE_SEGMENT_LIST), run.offset);
    }
    await this.segments.prune(now - this.opts.retainSeconds);
    await this.pruneSnapshots(now - this.opts.retainSeconds);
  }

  private async pruneSnapshots(before: number): Promise<void> {
    if (before - this.snapshotPruneBefore < 5) return;
    this.snapshotPruneBefore = before;
    for (const run of this.runs) {
      let names: string[];
      try {
        names = await readdir(run.dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const m = /^snap-(\d+)\.jpg$/.exec(n);
        if (m && run.offset + Number(m[1]) / this.opts.snapshotFps < before - 1)
          await rm(join(run.dir, n), { force: true });
      }
    }
  }

  /**
   * The full-size JPEG nearest before `t` (complete files only: ffmpeg may still be writing the newest).
   * Undefined when none is on disk yet.
   */
  async snapshotAt(t: number): Promise<Buffer | undefined> {
    for (let r = this.runs.length - 1; r >= 0; r--) {
      const run = this.runs[r]!;
      if (t < run.offset) continue;
      let i = Math.floor((t - run.offset) * this.opts.snapshotFps + 1e-6);
      for (let tries = 0; tries < 4 && i >= 0; tries++, i--) {
        const file = join(run.dir, `snap-${String(i).padStart(6, '0')}.jpg`);
        try {
          const buf = await readFile(file);
          // A JPEG ends with EOI (FF D9); a shorter file is still being written.
          if (buf.length > 4 && buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9) return buf;
        } catch {
          // not written yet or already pruned: try the one before
        }
      }
    }
    return undefined;
  }

  /** Snapshots every `step` seconds in [from, to], oldest first, without repeats. */
  async snapshotsBetween(from: number, to: number, max: number): Promise<Buffer[]> {
    const step = Math.max(1 / this.opts.snapshotFps, (to - from) / Math.max(1, max - 1));
    const out: Buffer[] = [];
    let last: Buffer | undefined;
    for (let t = Math.max(0, from); t <= to + 1e-6 && out.length < max; t += step) {
      const s = await this.snapshotAt(t);
      if (s && s !== last && !(last && s.equals(last))) out.push(s);
      last = s;
    }
    return out;
  }

  segmentsBetween(from: number, to: number): Segment[] {
    return this.segments.between(from, to);
  }

  /** Removes every run folder (segments, snapshots): footage is personal data. */
  async cleanup(): Promise<void> {
    await rm(this.opts.dir, { recursive: true, force: true });
  }
}
