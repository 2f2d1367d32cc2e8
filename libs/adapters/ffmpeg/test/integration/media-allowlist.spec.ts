import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { FfmpegAdapter, sizeTargetedH264Args } from '../../src';
import { testClip } from './test-clip';

/*
 * Uploaded media is opened with a protocol and format allow-list (issue 14): a playlist, manifest or concat
 * list posing as an MP4 would make ffmpeg read the local file it names and turn it into our output.
 */
const ff = new FfmpegAdapter(silentLogger);
let dir: string;
let secret: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-allowlist-'));
  // The "local file" a trap points at: a real video, so only the allow-list can stop it.
  secret = await testClip(ff, join(dir, 'secret.ts'), { format: 'mpegts' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const TRAPS: [string, () => string][] = [
  ['an HLS playlist', () => `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile://${secret}\n#EXT-X-ENDLIST\n`],
  [
    'a DASH manifest',
    () =>
      '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S" ' +
      'minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period><AdaptationSet mimeType="video/mp2t">' +
      `<Representation id="1" bandwidth="1000"><BaseURL>file://${secret}</BaseURL></Representation></AdaptationSet></Period></MPD>`,
  ],
  ['an ffconcat list', () => `ffconcat version 1.0\nfile '${secret}'\n`],
];

describe('caller media allow-list', { timeout: 30_000 }, () => {
  it.each(TRAPS)('probe refuses %s named .mp4 with a 4xx AppError, never opening it', async (_, body) => {
    const file = join(dir, 'upload.mp4');
    await writeFile(file, body());
    const err = await ff.probe(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ErrorCode.InvalidVideo);
    expect((err as AppError).httpStatus).toBeGreaterThanOrEqual(400);
    expect((err as AppError).httpStatus).toBeLessThan(500);
    expect((err as AppError).message).toMatch(/not an accepted video/);
  });

  it('compress refuses the same trap before encoding anything', async () => {
    const file = join(dir, 'compress-in.mp4');
    const out = join(dir, 'compress-out.mp4');
    await writeFile(file, TRAPS[0]![1]());
    const err = await ff
      .run(sizeTargetedH264Args({ inFile: file, outFile: out, videoBitrate: 100_000, audioBitrate: 0 }), {
        timeoutMs: 20_000,
      })
      .catch((e: unknown) => e);
    expect((err as AppError).code).toBe(ErrorCode.InvalidVideo);
    expect((err as AppError).message).toMatch(/hls/);
  });

  it('still opens the real containers (the secret file itself is a valid MPEG-TS)', async () => {
    expect((await ff.probe(secret)).codec).toBe('h264');
  });
});
