import type { Polygon } from '@vigint/contracts';

/** Black filled polygons (normalised 0..1 coordinates) as an SVG of exactly width x height, for compositing. */
export function masksToSvg(masks: readonly Polygon[], width: number, height: number): Buffer {
  const shapes = masks
    .filter((poly) => poly.length >= 3)
    .map((poly) => {
      const points = poly
        .map(([x, y]) => `${(clamp01(x) * width).toFixed(2)},${(clamp01(y) * height).toFixed(2)}`)
        .join(' ');
      return `<polygon points="${points}" fill="#000" stroke="#000" stroke-width="1"/>`;
    })
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${shapes}</svg>`,
  );
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
