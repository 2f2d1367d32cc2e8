import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type Polygon } from '@vigint/contracts';
import { makeBombPng, makeTestJpeg } from '@vigint/testing';
import { ImageAdapter } from './image.adapter';
import { hammingDistance } from './perceptual-hash';

const image = new ImageAdapter();

async function pixel(jpeg: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

describe('ImageAdapter.probe', () => {
  it('reads size and format of JPEG and PNG', async () => {
    expect(await image.probe(await makeTestJpeg({ width: 320, height: 200 }))).toEqual({
      width: 320,
      height: 200,
      format: 'jpeg',
    });
    expect(await image.probe(await makeTestJpeg({ width: 50, height: 40, format: 'png' }))).toEqual({
      width: 50,
      height: 40,
      format: 'png',
    });
  });

  it.each([
    ['text', Buffer.from('definitely not an image')],
    ['empty', Buffer.alloc(0)],
    ['a JPEG header and nothing else', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])],
  ])('rejects %s as INVALID_IMAGE', async (_name, buf) => {
    await expect(image.probe(buf)).rejects.toMatchObject({ code: ErrorCode.InvalidImage });
  });

  it('accepts WebP and refuses SVG, TIFF, GIF and HEIF before decoding them', async () => {
    expect(await image.probe(await makeTestJpeg({ width: 30, height: 20, format: 'webp' }))).toEqual({
      width: 30,
      height: 20,
      format: 'webp',
    });
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><image href="file:///etc/passwd"/></svg>',
    );
    await expect(image.probe(svg)).rejects.toMatchObject({
      code: ErrorCode.InvalidImage,
      message: 'image format svg is not accepted (JPEG, PNG or WebP only)',
    });
    for (const format of ['gif', 'tiff', 'heif'] as const) {
      const buf = await makeTestJpeg({ width: 30, height: 20, format });
      for (const op of [() => image.probe(buf), () => image.toAiJpeg(buf), () => image.thumbnail(buf)]) {
        await expect(op(), format).rejects.toMatchObject({
          code: ErrorCode.InvalidImage,
          message: expect.stringMatching(/JPEG, PNG or WebP only/),
        });
      }
    }
    // Our own SVG mask overlays still draw (the SVG loader stays open for them, not for callers).
    const masked = await image.applyMasks(await makeTestJpeg({ width: 40, height: 40 }), [
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    ]);
    expect((await image.probe(masked)).format).toBe('jpeg');
  });

  it('rejects a decompression bomb (huge declared size, tiny file) before decoding it', async () => {
    const bomb = makeBombPng(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100);
    for (const op of [
      () => image.probe(bomb),
      () => image.toAiJpeg(bomb),
      () => image.perceptualHash(bomb),
      () => image.grayscale(bomb, 160),
    ]) {
      await expect(op()).rejects.toMatchObject({
        code: ErrorCode.InvalidImage,
        message: expect.stringMatching(/too large/),
      });
    }
  });

  it('honours a lower pixel limit', async () => {
    const small = new ImageAdapter({ limitInputPixels: 1000 });
    await expect(small.probe(await makeTestJpeg({ width: 100, height: 100 }))).rejects.toMatchObject({
      code: ErrorCode.InvalidImage,
    });
  });
});

describe('ImageAdapter.toAiJpeg', () => {
  it('downscales the long side to 768 and never enlarges', async () => {
    const big = await image.toAiJpeg(await makeTestJpeg({ width: 1920, height: 1080 }));
    expect([big.width, big.height]).toEqual([768, 432]);
    expect((await sharp(big.data).metadata()).format).toBe('jpeg');
    const tall = await image.toAiJpeg(await makeTestJpeg({ width: 600, height: 1200 }), { maxSide: 512 });
    expect([tall.width, tall.height]).toEqual([256, 512]);
    const small = await image.toAiJpeg(await makeTestJpeg({ width: 320, height: 240 }));
    expect([small.width, small.height]).toEqual([320, 240]);
  });

  it('blacks out masked polygons before encoding and leaves the rest', async () => {
    const white = await makeTestJpeg({ width: 1280, height: 720, color: [250, 250, 250] });
    const leftHalf: Polygon = [
      [0, 0],
      [0.5, 0],
      [0.5, 1],
      [0, 1],
    ];
    const triangle: Polygon = [
      [0.6, 0.1],
      [0.9, 0.1],
      [0.9, 0.4],
    ];
    const out = await image.toAiJpeg(white, { masks: [leftHalf, triangle] });
    expect(out.width).toBe(768);
    for (const [x, y] of [
      [10, 10],
      [300, 400],
      [370, 200],
    ]) {
      expect(Math.max(...(await pixel(out.data, x!, y!)))).toBeLessThan(10);
    }
    // inside the triangle (near its right angle) / outside it / right half
    expect(Math.max(...(await pixel(out.data, Math.round(0.88 * 768), Math.round(0.12 * 432))))).toBeLessThan(10);
    expect(Math.min(...(await pixel(out.data, Math.round(0.62 * 768), Math.round(0.38 * 432))))).toBeGreaterThan(240);
    expect(Math.min(...(await pixel(out.data, 700, 400)))).toBeGreaterThan(240);
  });
});

describe('ImageAdapter.applyMasks', () => {
  it('keeps the size and blacks out the polygon', async () => {
    const img = await makeTestJpeg({ width: 400, height: 300, color: [200, 200, 200] });
    const out = await image.applyMasks(img, [
      [
        [0.25, 0.25],
        [0.75, 0.25],
        [0.75, 0.75],
        [0.25, 0.75],
      ],
    ]);
    expect(await image.probe(out)).toEqual({ width: 400, height: 300, format: 'jpeg' });
    expect(Math.max(...(await pixel(out, 200, 150)))).toBeLessThan(10);
    expect(Math.min(...(await pixel(out, 20, 20)))).toBeGreaterThan(190);
  });
});

describe('ImageAdapter.thumbnail and grayscale', () => {
  it('makes a 480-wide JPEG thumbnail', async () => {
    const thumb = await image.thumbnail(await makeTestJpeg({ width: 1280, height: 720 }));
    expect(await image.probe(thumb)).toEqual({ width: 480, height: 270, format: 'jpeg' });
  });

  it('returns one byte per pixel at the asked width', async () => {
    const gray = await image.grayscale(await makeTestJpeg({ width: 1280, height: 720, color: [255, 255, 255] }), 160);
    expect([gray.width, gray.height]).toEqual([160, 90]);
    expect(gray.data.length).toBe(160 * 90);
    expect(gray.data[0]).toBeGreaterThan(245);
  });

  it('refuses a nonsense width', async () => {
    await expect(image.grayscale(await makeTestJpeg({ width: 10, height: 10 }), 0)).rejects.toMatchObject({
      code: ErrorCode.ValidationFailed,
    });
  });
});

describe('perceptualHash', () => {
  it('is close for two slightly different JPEGs of one scene and far for another scene', async () => {
    const a = await image.perceptualHash(
      await makeTestJpeg({ width: 640, height: 360, seed: 7, noiseSeed: 1, noise: 6, quality: 90 }),
    );
    const b = await image.perceptualHash(
      await makeTestJpeg({ width: 640, height: 360, seed: 7, noiseSeed: 2, noise: 10, brightness: 8, quality: 60 }),
    );
    const other = await image.perceptualHash(await makeTestJpeg({ width: 640, height: 360, seed: 8 }));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hammingDistance(a, b)).toBeLessThanOrEqual(6);
    expect(hammingDistance(a, other)).toBeGreaterThanOrEqual(16);
  });

  it('is the same after downscaling', async () => {
    const big = await makeTestJpeg({ width: 1280, height: 720, seed: 3 });
    const small = (await image.toAiJpeg(big, { maxSide: 320 })).data;
    expect(hammingDistance(await image.perceptualHash(big), await image.perceptualHash(small))).toBeLessThanOrEqual(4);
  });
});

describe('hammingDistance', () => {
  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', '0000000000000000')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('000000000000000f', '0000000000000001')).toBe(3);
  });

  it('refuses malformed hashes', () => {
    expect(() => hammingDistance('abc', '0000000000000000')).toThrow(TypeError);
  });
});
