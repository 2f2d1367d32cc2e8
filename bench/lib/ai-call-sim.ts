import { EventMaintainer, type FrameMotion } from '@vigint/event';
import type { SceneEvent } from '@vigint/motion/testing';

/** The agent's defaults (apps/edge-agent/src/config.ts, pipeline.ts). */
export const AGENT_EVENT_SETTINGS = {
  sampleInterval: 2,
  motionGap: 3,
  preCapture: 10,
  postCapture: 5,
  cooldown: 60,
  maxClip: 30,
  analysisEnabled: true,
};

export interface AiCalls {
  /** Seconds of each AI call (one analysis: the screen, and the confirm when the screen says yes). */
  asks: number[];
  /** Samples a fixed cadence would have taken that the scheduler skipped (EventMaintainer only). */
  skipped: number;
}

/**
 * When the agent would call the AI on these per-frame motion results, with an AI that always answers
 * "nothing wrong" (ordinary activity: what the scene memory is for): the event maintainer the agent runs,
 * with a synthetic clock at the detect frame rate.
 */
export function maintainerCalls(frames: readonly FrameMotion[], fps: number): AiCalls {
  let t = 0;
  const m = new EventMaintainer(AGENT_EVENT_SETTINGS, { now: () => t });
  const asks: number[] = [];
  for (let i = 0; i < frames.length; i++) {
    t = i / fps;
    for (const a of m.frame(frames[i]!)) {
      if (a.type !== 'analyze') continue;
      asks.push(t);
      m.verdict('calm');
    }
  }
  return { asks, skipped: m.stats.skipped };
}

/** The agent before issue 12: one AI call every `sampleInterval` seconds while there is motion. */
export function cadenceCalls(motion: readonly boolean[], fps: number): AiCalls {
  const asks: number[] = [];
  let last = -Infinity;
  for (let i = 0; i < motion.length; i++) {
    const t = i / fps;
    if (motion[i] && t - last >= AGENT_EVENT_SETTINGS.sampleInterval) {
      asks.push(t);
      last = t;
    }
  }
  return { asks, skipped: 0 };
}

export interface CallScore {
  calls: number;
  /** Calls beyond the first one of each labeled event (what the scene memory should keep down). */
  extra: number;
  /** Seconds from each event's start to its first call, for the events that got one. */
  firstCall: number[];
  /** Events with no call at all. */
  missed: number;
}

/** Scores AI call times against labeled events: a call belongs to an event from `lead` s before it to 1 s after. */
export function scoreCalls(asks: readonly number[], events: readonly SceneEvent[], lead: number): CallScore {
  const firstCall: number[] = [];
  let missed = 0;
  for (const e of events) {
    const first = asks.find((t) => t >= e.start - lead && t <= e.end + 1);
    if (first === undefined) missed++;
    else firstCall.push(Math.max(0, first - e.start));
  }
  return { calls: asks.length, extra: asks.length - firstCall.length, firstCall, missed };
}
