import { describe, expect, it } from 'vitest';
import { MotionGate } from './motion-gate';
import { NUISANCE_SCENES, SCENES, renderScene, sceneEvents, scoreMotion, type SceneSpec } from './testing';

// The agent's detect frames: 160x90 gray at 5 fps.
const W = 160;
const H = 90;

function run(spec: SceneSpec) {
  const gate = new MotionGate({ width: W, height: H, settings: { mask: spec.mask ?? [] } });
  const verdicts = [];
  let lightChanges = 0;
  for (const { frame, t } of renderScene(spec, W, H, 7)) {
    const r = gate.update(frame);
    if (r.lightChange) lightChanges++;
    verdicts.push({ t, motion: r.motion, boxes: r.boxes });
  }
  const score = scoreMotion(verdicts, sceneEvents(spec), { tailSeconds: spec.expect?.tailSeconds ?? 1 });
  return { score, lightChanges, verdicts };
}

const scene = (name: string) => SCENES.find((s) => s.name === name)!;
const withPeople = SCENES.filter((s) => sceneEvents(s).length > 0);
const withoutEvents = SCENES.filter((s) => sceneEvents(s).length === 0 && !NUISANCE_SCENES.has(s.name));

describe('MotionGate on the labeled scenes (issue 12; 160x90 at 5 fps)', () => {
  it.each(withPeople.map((s) => [s.name, s] as const))(
    '%s: every person is reported within 1 s and on most of their frames, nothing else is',
    (_, spec) => {
      const { score } = run(spec);
      for (const e of score.events) {
        expect(e.detected, `event at ${e.start} s`).toBe(true);
        expect(e.latency!, `latency of the event at ${e.start} s`).toBeLessThanOrEqual(1);
        expect(e.coverage, `coverage of the event at ${e.start} s`).toBeGreaterThanOrEqual(
          spec.expect?.minCoverage ?? 0.5,
        );
      }
      expect(score.falseFrames).toBe(0);
    },
  );

  it.each(withoutEvents.map((s) => [s.name, s] as const))('%s: not one motion frame', (_, spec) => {
    expect(run(spec).score.motionFrames).toBe(0);
  });

  it('flags light steps, the IR switch and headlights as light changes', () => {
    for (const name of ['light-steps', 'ir-switch', 'headlights']) {
      const { score, lightChanges } = run(scene(name));
      expect(score.motionFrames, name).toBe(0);
      expect(lightChanges, name).toBeGreaterThan(0);
    }
  });

  it('sees the unmasked tree (so the masked scene proves the mask, not a blind gate)', () => {
    expect(run(scene('vegetation-unmasked')).score.motionFrames).toBeGreaterThan(5);
  });

  it('boxes the 200x300 figure where it is, in normalised coordinates', () => {
    const spec = scene('grey-wall-person');
    const o = spec.objects![0]!;
    const { verdicts } = run(spec);
    // Halfway through the crossing the figure's left edge is at half the distance it travels.
    const mid = verdicts.find((v) => Math.abs(v.t - (o.start + o.seconds / 2)) < 0.01)!;
    expect(mid.motion).toBe(true);
    expect(mid.boxes).toHaveLength(1);
    const box = mid.boxes[0]!;
    const left = (1 - o.width) / 2;
    expect(box.x).toBeGreaterThan(left - 0.05);
    expect(box.x).toBeLessThan(left + 0.05);
    expect(box.width).toBeGreaterThan(o.width * 0.8);
    expect(box.width).toBeLessThan(o.width + 0.08);
    expect(box.y).toBeGreaterThan(o.y - 0.05);
    expect(box.height).toBeGreaterThan(o.height * 0.8);
  });
});
