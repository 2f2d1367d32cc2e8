import type { SceneEvent } from './synthetic-scene';

export interface FrameVerdict {
  /** Seconds from the start of the footage. */
  t: number;
  motion: boolean;
}

export interface ScoreOptions {
  /** Motion pauses up to this long belong to the same motion run (the agent's motionGapSeconds). */
  gapSeconds?: number;
  /** Motion this long after an event's end still belongs to it (the person leaving, the background settling). */
  tailSeconds?: number;
  /** Motion this long before an event's labeled start belongs to it (hand labels are to the second). */
  leadSeconds?: number;
}

export interface EventScore extends SceneEvent {
  detected: boolean;
  /** Seconds from the event start to its first motion frame. */
  latency?: number;
  /** Fraction of the event's frames reported as motion. */
  coverage: number;
}

export interface MotionScore {
  frames: number;
  motionFrames: number;
  events: EventScore[];
  /** Motion frames outside every event (with its tail). */
  falseFrames: number;
  /** Motion runs (what would each make the agent ask the AI) with no frame inside an event. */
  falseRuns: number;
  /** All motion runs. */
  runs: number;
}

/** Scores per-frame motion verdicts against labeled event intervals. */
export function scoreMotion(
  verdicts: readonly FrameVerdict[],
  events: readonly SceneEvent[],
  opts: ScoreOptions = {},
): MotionScore {
  const gap = opts.gapSeconds ?? 3;
  const tail = opts.tailSeconds ?? 1;
  const lead = opts.leadSeconds ?? 0;
  const inEvent = (t: number) => events.some((e) => t >= e.start - lead && t <= e.end + tail);
  const scored: EventScore[] = events.map((e) => {
    const during = verdicts.filter((v) => v.t >= e.start && v.t <= e.end);
    const first = verdicts.find((v) => v.motion && v.t >= e.start - lead && v.t <= e.end + tail);
    return {
      ...e,
      detected: first !== undefined,
      ...(first ? { latency: Math.max(0, first.t - e.start) } : {}),
      coverage: during.length ? during.filter((v) => v.motion).length / during.length : 0,
    };
  });
  let runs = 0;
  let falseRuns = 0;
  let lastMotion = -Infinity;
  let runHasEvent = false;
  let falseFrames = 0;
  let motionFrames = 0;
  for (const v of verdicts) {
    if (!v.motion) continue;
    motionFrames++;
    const hit = inEvent(v.t);
    if (!hit) falseFrames++;
    if (v.t - lastMotion > gap) {
      if (runs > 0 && !runHasEvent) falseRuns++;
      runs++;
      runHasEvent = false;
    }
    runHasEvent ||= hit;
    lastMotion = v.t;
  }
  if (runs > 0 && !runHasEvent) falseRuns++;
  return { frames: verdicts.length, motionFrames, events: scored, falseFrames, falseRuns, runs };
}
