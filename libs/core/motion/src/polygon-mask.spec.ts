import { describe, expect, it } from 'vitest';
import { countWatched, rasterizePolygons } from './polygon-mask';

describe('rasterizePolygons', () => {
  it('masks the left half for a half-frame rectangle', () => {
    const m = rasterizePolygons(
      [
        [
          [0, 0],
          [0.5, 0],
          [0.5, 1],
          [0, 1],
        ],
      ],
      10,
      4,
    );
    expect(countWatched(m)).toBe(20);
    expect(m[0]).toBe(1);
    expect(m[4]).toBe(1);
    expect(m[5]).toBe(0);
  });

  it('masks a triangle roughly half of its bounding box and nothing with no polygons', () => {
    const m = rasterizePolygons(
      [
        [
          [0, 0],
          [1, 0],
          [0, 1],
        ],
      ],
      100,
      100,
    );
    const masked = 10000 - countWatched(m);
    expect(masked).toBeGreaterThan(4800);
    expect(masked).toBeLessThan(5200);
    expect(countWatched(rasterizePolygons([], 8, 8))).toBe(64);
  });
});
