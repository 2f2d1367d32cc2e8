import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Polygon } from '@vigint/contracts';
import type { FfmpegAdapter } from '@vigint/ffmpeg';
import type { ImageAdapter } from '@vigint/image';
import type { PrivacyMasker } from './incident-dispatcher';

/**
 * Blacks out privacy masks in a clip before it leaves the agent. Stream-copied clips carry the camera's full
 * picture, so a camera with masks pays one re-encode per alert (never per frame watched).
 * The matte is drawn by ImageAdapter.applyMasks (the same polygons as the AI images), then overlaid by ffmpeg.
 */
export class ClipMasker implements PrivacyMasker {
  constructor(
    private readonly ffmpeg: Pick<FfmpegAdapter, 'run' | 'probe'>,
    private readonly image: Pick<ImageAdapter, 'applyMasks'>,
  ) {}

  maskImage(jpeg: Buffer, masks: Polygon[]): Promise<Buffer> {
    return this.image.applyMasks(jpeg, masks);
  }

  maskClip(inFile: string, masks: Polygon[], outFile: string): Promise<string> {
    return this.mask(inFile, masks, outFile);
  }

  async mask(inFile: string, masks: readonly Polygon[], outFile: string): Promise<string> {
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
