import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Polygon } from '@vigint/contracts';
import type { FfmpegAdapter } from '@vigint/ffmpeg';
import type { AiJpegOptions, EncodedImage, ImageAdapter } from '@vigint/image';

/**
 * Privacy masks, in one place: every image and clip that leaves the agent — the AI frames, the alert's
 * snapshot and the e-mail clip — is blacked out here, with the same polygons drawn by one function
 * (ImageAdapter.applyMasks). A stream-copied clip carries the camera's full picture, so a camera with masks
 * pays one re-encode per alert (never per frame watched): the matte from applyMasks is overlaid by ffmpeg.
 */
export class PrivacyMasker {
  constructor(
    private readonly image: Pick<ImageAdapter, 'applyMasks' | 'toAiJpeg'>,
    private readonly ffmpeg?: Pick<FfmpegAdapter, 'run' | 'probe'>,
  ) {}

  /** The alert's snapshot (full size). */
  maskImage(jpeg: Buffer, masks: readonly Polygon[]): Promise<Buffer> {
    return masks.length === 0 ? Promise.resolve(jpeg) : this.image.applyMasks(jpeg, [...masks]);
  }

  /** A frame for the AI: masked, then shrunk and re-encoded (`maxSide`). */
  maskForAi(
    jpeg: Buffer,
    masks: readonly Polygon[],
    options: Omit<AiJpegOptions, 'masks'> = {},
  ): Promise<EncodedImage> {
    return this.image.toAiJpeg(jpeg, { ...options, masks: [...masks] });
  }

  /** The e-mail clip: H.264 with the masked zones black in every frame. Returns `outFile`. */
  async maskClip(inFile: string, masks: readonly Polygon[], outFile: string): Promise<string> {
    if (!this.ffmpeg) throw new Error('PrivacyMasker needs ffmpeg to mask clips');
    const { width: w, height: h } = await this.ffmpeg.probe(inFile);
    const white = `${outFile}.white.jpg`;
    const matte = `${outFile}.matte.jpg`;
    try {
      await this.ffmpeg.run(['-f', 'lavfi', '-i', `color=white:s=${w}x${h}`, '-frames:v', '1', white], {
        timeoutMs: 20_000,
      });
      await writeFile(matte, await this.image.applyMasks(await readFile(white), [...masks]));
      // matte: white = keep, black = masked → negated into the alpha of a black layer over the clip.
      const graph =
        `[1:v]scale=${w}:${h},format=gray,negate,lut=y='if(gt(val,127),255,0)'[a];` +
        `color=black:s=${w}x${h},format=rgba[k];[k][a]alphamerge[ov];` +
        `[0:v][ov]overlay=shortest=1:format=auto,format=yuv420p[v]`;
      await this.ffmpeg.run(
        [
          '-i',
          inFile,
          '-loop',
          '1',
          '-i',
          matte,
          '-filter_complex',
          graph,
          '-map',
          '[v]',
          // Sound is not masked: keep it as it is (already AAC when the camera records it).
          '-map',
          '0:a:0?',
          '-c:a',
          'copy',
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-crf',
          '23',
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
          outFile,
        ],
        { timeoutMs: 120_000 },
      );
      return outFile;
    } finally {
      await rm(white, { force: true });
      await rm(matte, { force: true });
    }
  }
}
