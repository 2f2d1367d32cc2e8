import type { Polygon } from '@vigint/contracts';

/**
 * Rasterises normalised polygons (0..1) into a bitmap of `width` x `height`: 1 = masked (ignored), 0 = watched.
 * Done once per camera and frame size, so the per-frame cost of masks is one array lookup per pixel.
 * A pixel is masked when its centre lies inside any polygon (even-odd rule).
 */
export function rasterizePolygons(polygons: readonly Polygon[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const poly of polygons) {
    if (poly.length < 3) continue;
    const pts = poly.map(([x, y]) => [x * width, y * height] as const);
    for (let row = 0; row < height; row++) {
      const cy = row + 0.5;
      // Scanline: x positions where this row's centre line crosses polygon edges.
      const xs: number[] = [];
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i]!;
        const [xj, yj] = pts[j]!;
        if (yi > cy !== yj > cy) xs.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
        const to = Math.min(width - 1, Math.floor(xs[k + 1]! - 0.5));
        for (let col = from; col <= to; col++) mask[row * width + col] = 1;
      }
    }
  }
  return mask;
}

/** Number of watched (unmasked) pixels. */
export function countWatched(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) n++;
  return n;
}
