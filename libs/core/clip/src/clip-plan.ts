import { AppError, ErrorCode } from '@vigint/contracts';

/** A recorded segment on disk. Times are seconds on one clock shared with the event (epoch or relative). */
export interface RecordedSegment {
  file: string;
  start: number;
  /** End time; when omitted, the next segment's start (or open-ended for the last one, still recording). */
  end?: number;
}

export interface ClipWindow {
  segments: readonly RecordedSegment[];
  eventStart: number;
  eventEnd: number;
  /** Seconds kept before the event (Frigate's pre_capture). */
  preCapture: number;
  /** Seconds kept after the event (post_capture). */
  postCapture: number;
  /** The clip never runs past this time (the event was closed early: max clip length, source ended). */
  maxEnd?: number;
}

export interface ClipPlan {
  /** Segments to concatenate, in order. */
  segmentFiles: string[];
  /** Cut start, seconds from the start of the first listed segment (what cutFromSegments takes). */
  startTime: number;
  /** Cut end, same origin. */
  endTime: number;
  /** Absolute times (segment clock) the clip covers. */
  clipStart: number;
  clipEnd: number;
  /** Pre-roll that was asked for but is not recorded (the agent started recording too late). */
  missingPreSeconds: number;
  /** Post-roll not recorded yet (or never: the source ended). */
  missingPostSeconds: number;
}

/**
 * The clip's time range: [eventStart - preCapture, eventEnd + postCapture], never past `maxEnd`
 * (what was not recorded before the first segment shows as planClip's `missingPreSeconds`). The one place this is computed: the agent waits for segments up to
 * `to`, then planClip picks them.
 */
export function clipBounds(window: Omit<ClipWindow, 'segments'>): { from: number; to: number } {
  const { eventStart, eventEnd, preCapture, postCapture, maxEnd } = window;
  for (const [name, v] of Object.entries({ eventStart, eventEnd, preCapture, postCapture })) {
    if (!Number.isFinite(v))
      throw new AppError(ErrorCode.ValidationFailed, `${name} must be a finite number`, { field: name });
  }
  if (eventEnd < eventStart)
    throw new AppError(ErrorCode.ValidationFailed, 'eventEnd is before eventStart', { field: 'eventEnd' });
  if (preCapture < 0 || postCapture < 0) {
    throw new AppError(ErrorCode.ValidationFailed, 'pre/post capture must not be negative', {
      field: preCapture < 0 ? 'preCapture' : 'postCapture',
    });
  }
  const from = eventStart - preCapture;
  const want = eventEnd + postCapture;
  const to = maxEnd !== undefined && Number.isFinite(maxEnd) ? Math.max(from, Math.min(want, maxEnd)) : want;
  return { from, to };
}

/**
 * Which recorded segments and offsets make the clip [eventStart - preCapture, eventEnd + postCapture].
 * Pure: the edge agent calls it with its segment list, then `ClipService.cutFromSegments`.
 * Returns null when no segment overlaps the window.
 */
export function planClip(window: ClipWindow): ClipPlan | null {
  const { from: wantStart, to: wantEnd } = clipBounds(window);
  const sorted = [...window.segments].sort((a, b) => a.start - b.start);
  const spans = sorted.map((seg, i) => ({
    file: seg.file,
    start: seg.start,
    end: seg.end ?? sorted[i + 1]?.start ?? Infinity,
  }));
  const chosen = spans.filter((s) => s.end > wantStart && s.start < wantEnd && s.end > s.start);
  const first = chosen[0];
  const last = chosen.at(-1);
  if (!first || !last) return null;
  const clipStart = Math.max(wantStart, first.start);
  const clipEnd = Math.min(wantEnd, last.end);
  return {
    segmentFiles: chosen.map((s) => s.file),
    startTime: round3(clipStart - first.start),
    endTime: round3(clipEnd - first.start),
    clipStart,
    clipEnd,
    missingPreSeconds: round3(Math.max(0, first.start - wantStart)),
    missingPostSeconds: round3(Math.max(0, wantEnd - last.end)),
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
