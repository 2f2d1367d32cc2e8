import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { parseProbeJson, parseRate } from './probe-parser';
import { StderrTail } from './stderr-tail';

const mp4 = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    streams: [
      {
        codec_type: 'video',
        codec_name: 'h264',
        width: 1280,
        height: 720,
        avg_frame_rate: '30000/1001',
        nb_frames: '300',
        pix_fmt: 'yuv420p',
        bit_rate: '1000000',
      },
      { codec_type: 'audio', codec_name: 'aac', bit_rate: '96000' },
    ],
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.01', bit_rate: '1100000' },
    ...over,
  });

describe('parseRate', () => {
  it('reads fractions, plain numbers and rejects 0/0', () => {
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('25')).toBe(25);
    expect(parseRate('0/0')).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
  });
});

describe('parseProbeJson', () => {
  it('maps a normal mp4', () => {
    const info = parseProbeJson(mp4(), 1_400_000);
    expect(info).toMatchObject({
      durationSeconds: 10.01,
      width: 1280,
      height: 720,
      codec: 'h264',
      hasAudio: true,
      frameCount: 300,
      pixFmt: 'yuv420p',
      audioBitrate: 96000,
      sizeBytes: 1_400_000,
    });
    expect(info.fps).toBeCloseTo(29.97, 2);
  });

  it.each([
    ['not JSON', 'garbage'],
    ['no streams', JSON.stringify({ format: { duration: '3' } })],
    ['audio only', JSON.stringify({ streams: [{ codec_type: 'audio' }], format: { duration: '3' } })],
    [
      'a still image',
      JSON.stringify({
        streams: [{ codec_type: 'video', width: 10, height: 10 }],
        format: { format_name: 'jpeg_pipe' },
      }),
    ],
    [
      'no duration',
      JSON.stringify({
        streams: [{ codec_type: 'video', width: 10, height: 10 }],
        format: { format_name: 'matroska,webm' },
      }),
    ],
    ['streams not an array', JSON.stringify({ streams: 'x', format: null })],
  ])('rejects %s as INVALID_VIDEO', (_name, json) => {
    expect(() => parseProbeJson(json, 1000)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidVideo }));
  });

  it('rejects a faststart mp4 whose index promises more bytes than the file has (truncated)', () => {
    expect(() => parseProbeJson(mp4(), 50_000)).toThrow(/truncated/);
  });

  it('ignores cover art posing as a video stream', () => {
    const json = JSON.stringify({
      streams: [
        { codec_type: 'video', codec_name: 'mjpeg', width: 300, height: 300, disposition: { attached_pic: 1 } },
      ],
      format: { format_name: 'mp3', duration: '100' },
    });
    expect(() => parseProbeJson(json, 1000)).toThrow(/no video stream/);
  });
});

describe('StderrTail', () => {
  it('keeps only the last bytes', () => {
    const tail = new StderrTail(10);
    for (let i = 0; i < 100; i++) tail.push(`line ${i}\n`);
    expect(tail.toString().length).toBeLessThanOrEqual(10);
    expect(tail.toString()).toContain('99');
  });
});
