/** Bits that differ between two 64-bit dHashes given as 16 hex chars: 0 = same picture, >~20 = another scene. */
export function hammingDistance(a: string, b: string): number {
  if (!/^[0-9a-f]{16}$/i.test(a) || !/^[0-9a-f]{16}$/i.test(b)) {
    throw new TypeError('hammingDistance expects two 16-hex-character hashes');
  }
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let count = 0;
  while (x > 0n) {
    count += Number(x & 1n);
    x >>= 1n;
  }
  return count;
}

/**
 * dHash of a 9x8 grayscale image (row-major): one bit per horizontal neighbour pair, set when the left
 * pixel is brighter. Robust to scaling, JPEG noise and small brightness shifts; cheap to compare.
 */
export function dHashFromGray9x8(pixels: Uint8Array): string {
  if (pixels.length < 72) throw new RangeError('dHash needs 9x8 pixels');
  let hash = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const left = pixels[y * 9 + x]!;
      const right = pixels[y * 9 + x + 1]!;
      hash = (hash << 1n) | (left > right ? 1n : 0n);
    }
  }
  return hash.toString(16).padStart(16, '0');
}
