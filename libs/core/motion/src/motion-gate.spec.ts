import { describe, expect, it } from 'vitest';
import { MotionGate } from './motion-gate';

const W = 160;
const H = 90;

/** Deterministic pseudo-random generator so the noise is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A textured scene (gradient + pattern) with gaussian-ish sensor noise and an optional brightness offset. */
function scene(
  rand: () => number,
  opts: { light?: number; noise?: number; block?: { x: number; y: number; w: number; h: number } } = {},
) {
  const f = new Uint8Array(W * H);
  const noise = opts.noise ?? 6;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = 60 + x * 0.5 + (((x >> 3) + (y >> 3)) % 2) * 20 + (opts.light ?? 0);
      const b = opts.block;
      if (b && x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) v = 220;
      v += (rand() + rand() + rand() - 1.5) * noise;
      f[y * W + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return f;
}

describe('MotionGate', () => {
  it('ignores sensor noise on a still scene', () => {
    const rand = rng(1);
    const gate = new MotionGate({ width: W, height: H, settings: {} });
    const results = Array.from({ length: 50 }, () => gate.update(scene(rand, { noise: 10 })));
    expect(results.filter((r) => r.motion)).toHaveLength(0);
  });

  it('ignores a slow light change and a sudden light step', () => {
    const rand = rng(2);
    const gate = new MotionGate({ width: W, height: H, settings: {} });
    const slow = Array.from({ length: 60 }, (_, i) => gate.update(scene(rand, { light: i * 1.2 })));
    // Step of +60 at once (lights switched on), then stays.
    const step = Array.from({ length: 20 }, () => gate.update(scene(rand, { light: 72 + 60 })));
    expect([...slow, ...step].filter((r) => r.motion)).toHaveLength(0);
  });

  it('recalibrates when most of the image changes in a non-uniform way (IR switch)', () => {
    const rand = rng(3);
    const gate = new MotionGate({ width: W, height: H, settings: {} });
    for (let i = 0; i < 10; i++) gate.update(scene(rand));
    // Inverted image: every pixel changes by a different amount, the median shift cannot cancel it.
    const inverted = () => scene(rand).map((v) => 255 - v);
    const first = gate.update(inverted());
    expect(first.motion).toBe(false);
    expect(first.calibrating).toBe(true);
    const after = Array.from({ length: 10 }, () => gate.update(inverted()));
    expect(after.filter((r) => r.motion)).toHaveLength(0);
  });

  it('detects a person-sized block moving across and boxes it', () => {
    const rand = rng(4);
    const gate = new MotionGate({ width: W, height: H, settings: {} });
    for (let i = 0; i < 10; i++) gate.update(scene(rand));
    const results = Array.from({ length: 20 }, (_, i) =>
      gate.update(scene(rand, { block: { x: 10 + i * 6, y: 30, w: 12, h: 40 } })),
    );
    // From the second frame on: a change must persist one frame (rain and flicker do not).
    expect(results[0]!.motion).toBe(false);
    expect(results.slice(1).every((r) => r.motion)).toBe(true);
    expect(results[5]!.boxes).toHaveLength(1);
    const box = results[5]!.box!;
    expect(box.x).toBeGreaterThan(0.2);
    expect(box.x).toBeLessThan(0.35);
    expect(box.height).toBeGreaterThan(0.3);
  });

  it('ignores changes smaller than contour_area', () => {
    const rand = rng(5);
    const gate = new MotionGate({ width: W, height: H, settings: { contour_area: 0.01 } });
    for (let i = 0; i < 10; i++) gate.update(scene(rand));
    // 3x3 = 9 px < 1% of 14400.
    const r = gate.update(scene(rand, { block: { x: 50, y: 50, w: 3, h: 3 } }));
    expect(r.motion).toBe(false);
    expect(r.changedFraction).toBeGreaterThan(0);
  });

  it('ignores motion inside a mask but still sees it outside', () => {
    const rand = rng(6);
    const gate = new MotionGate({
      width: W,
      height: H,
      settings: {
        mask: [
          [
            [0, 0],
            [0.5, 0],
            [0.5, 1],
            [0, 1],
          ],
        ],
      },
    });
    for (let i = 0; i < 10; i++) gate.update(scene(rand));
    const inside = Array.from({ length: 8 }, (_, i) =>
      gate.update(scene(rand, { block: { x: 5 + i * 5, y: 30, w: 12, h: 40 } })),
    );
    expect(inside.filter((r) => r.motion)).toHaveLength(0);
    gate.update(scene(rand, { block: { x: 118, y: 30, w: 12, h: 40 } }));
    const outside = gate.update(scene(rand, { block: { x: 120, y: 30, w: 12, h: 40 } }));
    expect(outside.motion).toBe(true);
    expect(outside.box!.x).toBeGreaterThanOrEqual(0.5);
  });

  it('rejects frames of the wrong size', () => {
    const gate = new MotionGate({ width: W, height: H, settings: {} });
    expect(() => gate.update(new Uint8Array(10))).toThrow(/expected 14400/);
  });
});
