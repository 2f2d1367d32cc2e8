import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One recorded segment, its times on the camera's timeline (seconds since capture start). */
export interface Segment {
  file: string;
  start: number;
  end: number;
}

/**
 * Tracks the segments ffmpeg lists in its CSV segment list (a line is written when a segment is complete) and
 * deletes those older than the retention window unless an open event holds them.
 */
export class SegmentIndex {
  private readonly segments: Segment[] = [];
  private readonly seen = new Set<string>();
  /** Open holds (one per event still being recorded or delivered); deliveries can overlap. */
  private readonly holds = new Set<{ from: number }>();

  /** Reads new lines of `listFile`; `offset` maps the run's own times to the camera's timeline. */
  async refresh(dir: string, listFile: string, offset: number): Promise<void> {
    let text: string;
    try {
      text = await readFile(listFile, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      const [name, start, end] = line.trim().split(',');
      if (!name || start === undefined || end === undefined) continue;
      const file = join(dir, name);
      if (this.seen.has(file)) continue;
      const s = Number(start);
      const e = Number(end);
      if (!Number.isFinite(s) || !Number.isFinite(e)) continue;
      this.seen.add(file);
      this.segments.push({ file, start: s + offset, end: e + offset });
    }
  }

  /**
   * Keeps segments from `t` on, whatever the retention, until the returned release is called. Each event
   * holds its own range: one delivery finishing must not release a later event's pre-roll.
   */
  hold(t: number): () => void {
    const h = { from: t };
    this.holds.add(h);
    return () => {
      this.holds.delete(h);
    };
  }

  /** Deletes segments that ended before `before` (and before any hold). */
  async prune(before: number): Promise<void> {
    let limit = before;
    for (const h of this.holds) limit = Math.min(limit, h.from);
    while (this.segments.length > 0 && this.segments[0]!.end < limit) {
      const s = this.segments.shift()!;
      await rm(s.file, { force: true });
    }
  }

  /** Latest end time of a completed segment. */
  coveredUntil(): number {
    return this.segments.at(-1)?.end ?? 0;
  }

  /** Completed segments overlapping [from, to], oldest first. */
  between(from: number, to: number): Segment[] {
    return this.segments.filter((s) => s.end > from && s.start < to);
  }

  get count(): number {
    return this.segments.length;
  }
}
