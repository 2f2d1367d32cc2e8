import type { FfmpegAdapter } from '../../src';

/**
 * A 2 s 160x120 H.264 test pattern written to `file` by the adapter itself: MP4 unless `format` says otherwise
 * (`mpegts`); `faststart` puts the MP4 index first (then a truncated file keeps a readable index).
 */
export async function testClip(
  ff: FfmpegAdapter,
  file: string,
  opts: { format?: 'mp4' | 'mpegts'; faststart?: boolean } = {},
): Promise<string> {
  const format = opts.format ?? 'mp4';
  await ff.run(
    [
      ...['-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=10:d=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
      ...(opts.faststart ? ['-movflags', '+faststart'] : []),
      ...['-f', format, file],
    ],
    { timeoutMs: 30_000 },
  );
  return file;
}
