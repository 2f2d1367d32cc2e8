import { describe, expect, it } from 'vitest';
import { EventMaintainer, type EventAction, type EventSettings, type FrameMotion } from './event-maintainer';

const FPS = 5;
const SETTINGS: EventSettings = {
  sampleInterval: 2,
  motionGap: 3,
  preCapture: 10,
  postCapture: 5,
  cooldown: 60,
  maxClip: 30,
  analysisEnabled: true,
};

const STILL: FrameMotion = { motion: false, boxes: [], area: 0 };

/** A person-sized region at (x, y), normalised. */
function person(x: number, y = 0.4, w = 0.08, h = 0.3): FrameMotion {
  return { motion: true, boxes: [{ x, y, width: w, height: h }], area: w * h };
}

type Verdict = 'alert' | 'calm' | 'error';

/**
 * Drives a maintainer with a synthetic clock at 5 fps. Each `analyze` is answered at once by `answer`
 * (as --fast does); every action is kept with its time.
 */
function sim(settings: Partial<EventSettings> = {}, answer: (t: number) => Verdict = () => 'calm') {
  let now = 0;
  const m = new EventMaintainer({ ...SETTINGS, ...settings }, { now: () => now });
  const actions: Array<EventAction & { t: number }> = [];
  const apply = (list: EventAction[]) => {
    for (const a of list) {
      actions.push({ ...a, t: now });
      if (a.type === 'analyze') apply(m.verdict(answer(now)));
    }
  };
  const feed = (seconds: number, motion: (t: number) => FrameMotion) => {
    const end = now + seconds;
    while (now < end - 1e-9) {
      apply(m.frame(motion(now)));
      now = Math.round((now + 1 / FPS) * 1000) / 1000;
    }
  };
  const of = <T extends EventAction['type']>(type: T) =>
    actions.filter((a): a is Extract<EventAction, { type: T }> & { t: number } => a.type === type);
  return { m, feed, actions, of, lost: () => apply(m.sourceLost()), time: () => now };
}

/** Ordinary activity: two people pacing back and forth in the left half of the frame, never stopping. */
function pacing(t: number): FrameMotion {
  const a = 0.05 + 0.15 * (1 + Math.sin(t / 3));
  const b = 0.2 + 0.1 * (1 + Math.cos(t / 4));
  return {
    motion: true,
    boxes: [
      { x: a, y: 0.4, width: 0.08, height: 0.3 },
      { x: b, y: 0.5, width: 0.08, height: 0.3 },
    ],
    area: 0.048,
  };
}

/** Busy street: people keep crossing the whole frame, one or two at a time, in changing places. */
function street(t: number): FrameMotion {
  const boxes = [{ x: (t * 0.07) % 0.92, y: 0.3 + 0.2 * Math.sin(t / 7), width: 0.08, height: 0.3 }];
  if (Math.floor(t / 11) % 2 === 0) boxes.push({ x: 0.9 - ((t * 0.05) % 0.9), y: 0.55, width: 0.07, height: 0.28 });
  return { motion: true, boxes, area: boxes.length * 0.024 };
}

describe('EventMaintainer', () => {
  it('asks nothing while the scene is still, and asks at the first motion frame (no added delay)', () => {
    const s = sim();
    s.feed(30, () => STILL);
    expect(s.actions).toHaveLength(0);
    s.feed(1, person.bind(null, 0.3));
    const asks = s.of('analyze');
    expect(asks[0]).toMatchObject({ t: 30, reason: 'run-start' });
  });

  it('keeps continuous ordinary activity to <= 6 AI calls a minute after the first, and counts the skipped ones', () => {
    for (const scene of [pacing, street]) {
      const s = sim();
      s.feed(5, () => STILL);
      s.feed(180, scene);
      const asks = s.of('analyze');
      expect(asks[0]!.t).toBe(5);
      // The fixed 2 s cadence would have asked 90 times in these 3 minutes.
      for (const minute of [0, 1, 2]) {
        const inMinute = asks.filter((a) => a.t > 5 + minute * 60 && a.t <= 5 + (minute + 1) * 60);
        expect(inMinute.length, `${scene.name} minute ${minute + 1}`).toBeLessThanOrEqual(6);
      }
      expect(asks.length + s.m.stats.skipped).toBeGreaterThanOrEqual(85);
      expect(s.m.stats.skipped).toBeGreaterThan(60);
      expect(s.m.stats.asked).toBe(asks.length);
    }
  });

  it('backs off on an unchanged scene (2, 4, 8, 16, 32, then every 60 s)', () => {
    const s = sim();
    s.feed(200, (t) => person(0.4 + 0.01 * Math.sin(t)));
    const times = s.of('analyze').map((a) => a.t);
    expect(times).toEqual([0, 2, 6, 14, 30, 62, 122, 182]);
  });

  it('asks again when something new enters an ongoing calm scene, and alerts on it', () => {
    // The AI says "nothing wrong" about the pacing pair; a third person at the far right is an intruder.
    const s = sim({}, (t) => (t >= 40 ? 'alert' : 'calm'));
    s.feed(40, pacing);
    const before = s.of('analyze').length;
    s.feed(20, (t) => {
      const p = pacing(t);
      return { motion: true, boxes: [...p.boxes, { x: 0.85, y: 0.4, width: 0.08, height: 0.3 }], area: p.area + 0.024 };
    });
    const asks = s.of('analyze').slice(before);
    expect(asks[0]!.t).toBeLessThanOrEqual(40 + 15);
    expect(asks[0]!.reason).toBe('more-regions');
    expect(s.of('opened')).toHaveLength(1);
  });

  it('notices motion in another part of the frame and a clearly larger area', () => {
    const far = sim();
    far.feed(31, (t) => person(0.1 + 0.02 * Math.sin(t))); // asks at 0, 2, 6, 14, 30
    const n = far.of('analyze').length;
    far.feed(20, () => person(0.8));
    expect(far.of('analyze').slice(n)[0]).toMatchObject({ reason: 'new-place', t: 45 }); // not the 62 s recheck

    const big = sim();
    big.feed(31, (t) => person(0.4 + 0.02 * Math.sin(t)));
    const k = big.of('analyze').length;
    big.feed(20, () => person(0.4, 0.2, 0.2, 0.6));
    expect(big.of('analyze').slice(k)[0]).toMatchObject({ reason: 'larger-area', t: 45 });
  });

  it('asks at once at the start of every new motion run, whatever the backoff', () => {
    const s = sim();
    s.feed(40, (t) => person(0.4 + 0.01 * Math.sin(t)));
    s.feed(4, () => STILL); // a pause longer than the 3 s motion gap ends the run
    s.feed(2, () => person(0.4));
    const last = s.of('analyze').at(-1)!;
    expect(last).toMatchObject({ t: 44, reason: 'run-start' });
  });

  it('neighbouring motion runs of a calm scene keep its memory and backoff; a run after a long quiet starts over', () => {
    // Real footage: people stop (the gate absorbs them), move on, the next one comes in 4 s after the last left.
    const s = sim();
    const burst = (x: number) => {
      s.feed(3, (t) => person(x + 0.01 * Math.sin(t)));
      s.feed(5, () => STILL);
    };
    for (let i = 0; i < 6; i++) burst(0.4);
    const asks = s.of('analyze');
    // Each run is still asked at once; the +2 s recheck of a fresh scene is not repeated in every run.
    expect(asks.filter((a) => a.reason === 'run-start').map((a) => a.t)).toEqual([0, 8, 16, 24, 32, 40]);
    expect(asks.map((a) => a.t)).toEqual([0, 2, 8, 16, 24, 32, 40]); // afresh each time: 12 calls
    // A continued run that goes on is rechecked after 4 s, then 8, 16: a newcomer walking the same path behind
    // someone leaving is looked at within 4 s.
    s.feed(50, (t) => person(0.4 + 0.01 * Math.sin(t)));
    expect(
      s
        .of('analyze')
        .slice(asks.length)
        .map((a) => [a.t, a.reason]),
    ).toEqual([
      [48, 'run-start'],
      [52, 'recheck'],
      [60, 'recheck'],
      [76, 'recheck'],
    ]);
    s.feed(4, () => STILL);

    // 40 s of quiet is beyond the 30 s scene memory: the next run is a fresh scene again (0 and +2 s).
    s.feed(40, () => STILL);
    const n = s.of('analyze').length;
    s.feed(6, () => person(0.4));
    expect(
      s
        .of('analyze')
        .slice(n)
        .map((a) => [a.t, a.reason]),
    ).toEqual([
      [142, 'run-start'],
      [144, 'recheck'],
    ]);
  });

  it('a new run after a calm one is asked at once and alerts when the AI says so (no delay from the memory)', () => {
    const s = sim({}, (t) => (t >= 20 ? 'alert' : 'calm'));
    s.feed(15, pacing);
    s.feed(5, () => STILL);
    s.feed(3, () => person(0.3)); // same place the calm pair walked
    expect(s.of('analyze').at(-1)).toMatchObject({ t: 20, reason: 'run-start' });
    expect(s.of('opened')).toEqual([expect.objectContaining({ start: 20, at: 20 })]);
  });

  it('sceneMemory 0 starts every run afresh, as before', () => {
    const s = sim({ sceneMemory: 0 });
    for (let i = 0; i < 3; i++) {
      s.feed(6, () => person(0.4));
      s.feed(4, () => STILL);
    }
    expect(s.of('analyze').map((a) => a.t)).toEqual([0, 2, 10, 12, 20, 22]);
  });

  it('retries after sampleInterval when an analysis fails', () => {
    const s = sim({}, (t) => (t < 1 ? 'error' : 'calm'));
    s.feed(3, () => person(0.4));
    expect(s.of('analyze').map((a) => [a.t, a.reason])).toEqual([
      [0, 'run-start'],
      [2, 'retry'],
    ]);
  });

  it('a short event: one alert clip with pre- and post-roll, closed after the post-roll, then the cooldown', () => {
    const s = sim({}, () => 'alert');
    s.feed(20, () => STILL);
    s.feed(4, () => person(0.4)); // motion 20-24 s
    s.feed(20, () => STILL);
    expect(s.of('opened')).toEqual([{ type: 'opened', start: 20, at: 20, t: 20 }]);
    const clips = s.of('clip');
    expect(clips).toHaveLength(1);
    expect(clips[0]).toMatchObject({ part: 'alert', from: 10, start: 20 });
    expect(clips[0]!.to).toBeCloseTo(28.8, 5);
    expect(s.of('closed')[0]).toMatchObject({ reason: 'post-roll' });
    // Within the cooldown: motion, but no analysis and no incident.
    s.feed(5, () => person(0.4));
    expect(s.of('analyze')).toHaveLength(1);
    expect(s.m.inCooldown).toBe(true);
  });

  it('continuous activity: the alert clip ends max_clip after the event start; follow-ups after it; one alert', () => {
    const s = sim({}, () => 'alert');
    s.feed(10, () => STILL);
    s.feed(80, street); // activity 10-90 s
    s.feed(20, () => STILL);
    const clips = s.of('clip');
    // The e-mail's clip goes at 40 s (event start 10 + 30), not when activity stops.
    expect(clips[0]).toMatchObject({ part: 'alert', from: 0, to: 40, t: 40 });
    expect(clips.slice(1).map((c) => [c.part, c.from, c.to])).toEqual([
      ['follow-up', 40, 70],
      ['follow-up', 70, expect.closeTo(94.8, 5)],
    ]);
    expect(clips.filter((c) => c.part === 'alert')).toHaveLength(1);
    const closed = s.of('closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]!.end).toBeCloseTo(94.8, 5);
    expect(s.of('analyze')).toHaveLength(1); // no AI call while the incident is open
    expect(s.m.stats.incidents).toBe(1);
  });

  it('closes and cuts an open incident as soon as the source is lost', () => {
    const s = sim({}, () => 'alert');
    s.feed(5, () => STILL);
    s.feed(3, () => person(0.4)); // motion 5-8 s, stream drops at 8 s with the post-roll not over
    s.lost();
    expect(s.of('clip')).toEqual([expect.objectContaining({ part: 'alert', from: 0, to: 8, t: 8 })]);
    expect(s.of('closed')[0]).toMatchObject({ reason: 'source-lost', end: 8 });
    expect(s.m.open).toBe(false);
  });

  it('tracks motion without asking when analysis is disabled', () => {
    const s = sim({ analysisEnabled: false });
    s.feed(20, street);
    expect(s.actions).toHaveLength(0);
  });
});
