import { availableParallelism } from 'node:os';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppError, ErrorCode, type Polygon } from '@vigint/contracts';
import { masksToSvg } from './mask-svg';
import { dHashFromGray9x8 } from './perceptual-hash';

// Process-wide libvips tuning lives here only. Frames are decoded once and never again,
// so libvips' operation cache only costs memory; two cores are shared with ffmpeg, so keep threads low.
sharp.cache(false);
sharp.concurrency(Math.max(1, Math.floor(availableParallelism() / 2)));

/** The only formats a caller's image may be: cameras send JPEG, some PNG or WebP. */
export const ACCEPTED_IMAGE_FORMATS: readonly string[] = ['jpeg', 'png', 'webp'];

// Defence in depth under the format check in probe(): libvips' advisories sit in its loaders (GIF, TIFF,
// HEIF, SVG, PDF, ...), so every loader is blocked for this process except the three in-memory ones we
// accept, and the SVG buffer loader our own mask overlays need (a caller's SVG is refused by probe()).
sharp.block({ operation: ['VipsForeignLoad'] });
sharp.unblock({
  operation: [
    'VipsForeignLoadJpegBuffer',
    'VipsForeignLoadPngBuffer',
    'VipsForeignLoadWebpBuffer',
    'VipsForeignLoadSvgBuffer',
  ],
});

export interface ImageAdapterOptions {
  /** Largest width x height accepted before decoding (decompression bombs). Default 40 MP. */
  limitInputPixels?: number;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** sharp's format name: one of ACCEPTED_IMAGE_FORMATS. */
  format: string;
}

export interface AiJpegOptions {
  /** Long side of the result, px (never enlarged). Default 768. */
  maxSide?: number;
  /** JPEG quality. Default 80. */
  quality?: number;
  /** Privacy masks, blacked out before encoding. */
  masks?: readonly Polygon[];
}

export interface EncodedImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface GrayImage {
  /** One byte per pixel, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** All image work (sharp): bounded decoding, AI-sized JPEGs, privacy masks, thumbnails, perceptual hashes. */
export class ImageAdapter {
  private readonly limitInputPixels: number;

  constructor(options: ImageAdapterOptions = {}) {
    this.limitInputPixels = options.limitInputPixels ?? 40_000_000;
  }

  /**
   * Reads only the header. INVALID_IMAGE for anything that is not a JPEG, PNG or WebP (SVG, TIFF, GIF,
   * HEIF... are refused before any pixel is decoded), or one over the pixel limit.
   */
  async probe(buf: Buffer): Promise<ImageInfo> {
    if (!Buffer.isBuffer(buf) || buf.length === 0) throw new AppError(ErrorCode.InvalidImage, 'image is empty');
    let meta: Metadata;
    try {
      meta = await sharp(buf, { limitInputPixels: this.limitInputPixels, failOn: 'error' }).metadata();
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
    const { width, height, format } = meta;
    if (!width || !height || !format) throw new AppError(ErrorCode.InvalidImage, 'not an image: no size or format');
    if (!ACCEPTED_IMAGE_FORMATS.includes(format)) {
      throw new AppError(ErrorCode.InvalidImage, `image format ${format} is not accepted (JPEG, PNG or WebP only)`, {
        details: { format, accepted: ACCEPTED_IMAGE_FORMATS },
      });
    }
    this.checkPixels(width, height);
    // EXIF orientation 5-8 means the picture is shown rotated by 90°: report what a viewer sees.
    const rotated = (meta.orientation ?? 1) >= 5;
    return { width: rotated ? height : width, height: rotated ? width : height, format };
  }

  /** The smallest JPEG that works for the AI: long side ≤ maxSide, masks blacked out, EXIF stripped. */
  async toAiJpeg(buf: Buffer, options: AiJpegOptions = {}): Promise<EncodedImage> {
    const maxSide = options.maxSide ?? 768;
    const quality = options.quality ?? 80;
    await this.probe(buf);
    return this.encode(
      (img) => img.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true }),
      options.masks ?? [],
      quality,
      buf,
    );
  }

  /** Same size, masked polygons black, JPEG out. */
  async applyMasks(buf: Buffer, masks: readonly Polygon[]): Promise<Buffer> {
    await this.probe(buf);
    return (await this.encode((img) => img, masks, 90, buf)).data;
  }

  /** A small JPEG for the alert e-mail (never enlarged). */
  async thumbnail(buf: Buffer, options: { width?: number; quality?: number } = {}): Promise<Buffer> {
    await this.probe(buf);
    try {
      return await this.open(buf)
        .resize({ width: options.width ?? 480, withoutEnlargement: true })
        .jpeg({ quality: options.quality ?? 80 })
        .toBuffer();
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
  }

  /** 64-bit dHash as 16 hex chars: near-identical scenes are a few bits apart (see hammingDistance). */
  async perceptualHash(buf: Buffer): Promise<string> {
    await this.probe(buf);
    try {
      const { data, info } = await this.open(buf)
        .removeAlpha()
        .grayscale()
        .resize(9, 8, { fit: 'fill', kernel: 'cubic' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return dHashFromGray9x8(firstChannel(data, info.channels, 72));
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
  }

  /** Downscaled grayscale pixels (one byte each), e.g. for the motion gate. */
  async grayscale(buf: Buffer, width: number): Promise<GrayImage> {
    if (!Number.isInteger(width) || width < 1 || width > 8192) {
      throw new AppError(ErrorCode.ValidationFailed, 'grayscale width must be an integer between 1 and 8192', {
        field: 'width',
      });
    }
    await this.probe(buf);
    try {
      const { data, info } = await this.open(buf)
        .removeAlpha()
        .grayscale()
        .resize({ width, fit: 'inside' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixels = firstChannel(data, info.channels, info.width * info.height);
      return { data: pixels, width: info.width, height: info.height };
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
  }

  /** Re-encodes any supported image as JPEG (e.g. PNG frames for a JPEG-only pipe). */
  async toJpeg(buf: Buffer, quality = 90): Promise<Buffer> {
    await this.probe(buf);
    try {
      return await this.open(buf).jpeg({ quality }).toBuffer();
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
  }

  private open(buf: Buffer): Sharp {
    // failOn 'error': camera JPEGs often carry harmless warnings; a corrupt one still fails.
    return sharp(buf, { limitInputPixels: this.limitInputPixels, failOn: 'error' }).rotate();
  }

  private checkPixels(width: number, height: number): void {
    if (width * height > this.limitInputPixels) {
      throw new AppError(
        ErrorCode.InvalidImage,
        `image too large: ${width}x${height} exceeds the limit of ${this.limitInputPixels} pixels`,
        { details: { width, height, limitInputPixels: this.limitInputPixels } },
      );
    }
  }

  /**
   * Resizes to raw pixels first, so the mask overlay is drawn at the exact output size (sharp composites
   * after resizing, and an overlay one pixel too big is an error).
   */
  private async encode(
    transform: (img: Sharp) => Sharp,
    masks: readonly Polygon[],
    quality: number,
    buf: Buffer,
  ): Promise<EncodedImage> {
    try {
      const { data, info } = await transform(this.open(buf).removeAlpha()).raw().toBuffer({ resolveWithObject: true });
      let out = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
      if (masks.length > 0)
        out = out.composite([{ input: masksToSvg(masks, info.width, info.height), left: 0, top: 0 }]);
      const jpeg = await out.jpeg({ quality }).toBuffer();
      return { data: jpeg, width: info.width, height: info.height };
    } catch (err) {
      throw toInvalidImage(err, this.limitInputPixels);
    }
  }
}

function firstChannel(data: Buffer, channels: number, pixels: number): Uint8Array {
  if (channels === 1) return new Uint8Array(data.buffer, data.byteOffset, pixels);
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = data[i * channels]!;
  return out;
}

function toInvalidImage(err: unknown, limitInputPixels: number): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return new AppError(ErrorCode.InvalidImage, `image too large: it declares more than ${limitInputPixels} pixels`, {
      cause: err,
      details: { limitInputPixels },
    });
  }
  // A blocked loader (GIF, TIFF, HEIF... see the top of this file) reads as 'unsupported image format'.
  if (/unsupported image format/i.test(message)) {
    return new AppError(ErrorCode.InvalidImage, 'not an accepted image (JPEG, PNG or WebP only)', { cause: err });
  }
  return new AppError(ErrorCode.InvalidImage, `not a valid image: ${message.split('\n')[0]}`, { cause: err });
}
