import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraState, ErrorCode } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { CameraCapture } from '../../src/camera-capture';
import {
  camera,
  FAST_CASES,
  ffmpeg,
  makeWorkDir,
  MATRIX_CASES,
  removeWorkDir,
  runMatrixCase,
} from './format-matrix-cases';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir();
});
afterAll(() => removeWorkDir(work));

describe('format matrix: capture → recording path → e-mail clip', { timeout: 120_000 }, () => {
  it.each(MATRIX_CASES.filter((c) => FAST_CASES.has(c.name)))('$name', (c) => runMatrixCase(c, work));
});

describe('unreadable sources', { timeout: 30_000 }, () => {
  it.each([
    ['a missing file', 'missing.mp4', undefined, /does not exist/],
    ['garbage bytes', 'garbage.mp4', Buffer.alloc(4096, 0x41), /not a video ffmpeg can read|incomplete/],
    [
      'an HLS playlist posing as an MP4',
      'playlist.mp4',
      Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\n/etc/hostname\n#EXT-X-ENDLIST\n'),
      /format \(hls\) is not accepted/,
    ],
  ] as const)('%s fails at once with one line naming the source and the reason', async (_, name, bytes, reason) => {
    const file = join(work, name);
    if (bytes) await writeFile(file, bytes);
    const capture = new CameraCapture(
      camera(file, false),
      ffmpeg,
      {
        segmentSeconds: 2,
        retainSeconds: 60,
        watchdogSeconds: 20,
        offlineAlertSeconds: 60,
        fast: true,
        dir: join(work, `${name}-cam`),
      },
      silentLogger,
    );
    expect(await capture.run({ onFrame: () => undefined })).toBe(CameraState.Failed);
    expect(capture.failure?.code).toBe(ErrorCode.InvalidVideo);
    expect(capture.failure?.message).toContain(file);
    expect(capture.failure?.message).toMatch(reason);
    expect(capture.failure?.message).not.toMatch(/ffprobe|@ 0x|Invalid argument/);
    await capture.cleanup();
  });
});
