import { describe, expect, it } from 'vitest';
import { describeSourceFailure, parseSourceProbe, SourceUnreadableError } from './source-info';

describe('parseSourceProbe', () => {
  it('reads codec, audio and missing presentation times from ffprobe JSON', () => {
    const json = JSON.stringify({
      format: { format_name: 'avi' },
      streams: [
        {
          codec_type: 'video',
          codec_name: 'h264',
          profile: 'High',
          width: 480,
          height: 360,
          avg_frame_rate: '25/1',
          has_b_frames: 2,
        },
        { codec_type: 'audio', codec_name: 'aac', sample_rate: '44100', channels: 2 },
      ],
      packets: [{ codec_type: 'video', dts_time: '0.000000', flags: 'K_' }],
    });
    expect(parseSourceProbe('cam.avi', json)).toEqual({
      formatName: 'avi',
      video: { codec: 'h264', profile: 'High', width: 480, height: 360, fps: 25, bFrames: true },
      audio: { codec: 'aac', sampleRate: 44100, channels: 2 },
      missingTimestamps: true,
    });
  });

  it('refuses a source without a video stream, naming it without its credentials', () => {
    const json = JSON.stringify({
      format: { format_name: 'rtsp' },
      streams: [{ codec_type: 'audio', codec_name: 'pcm_alaw' }],
    });
    let err: unknown;
    try {
      parseSourceProbe('rtsp://admin:pw@cam/live', json);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceUnreadableError);
    expect((err as Error).message).toBe('camera source rtsp://***@cam/live cannot be read: it has no video stream');
  });
});

describe('describeSourceFailure', () => {
  it.each([
    ['rtsp://***@cam/x: Server returned 401 Unauthorized (authorization failed)', /user name or password/],
    ['[tcp @ 0x1] Connection to tcp://127.0.0.1:9 failed: Connection refused', /connection refused/],
    ["[hls @ 0x55] Format not on whitelist 'mov,matroska'", /format \(hls\) is not accepted/],
    ["[tcp @ 0x5] Protocol 'http' not on whitelist 'file'!", /http protocol/],
    ['something nobody expected', /could not open it as a video/],
  ])('%s', (stderr, reason) => {
    expect(describeSourceFailure(stderr)).toMatch(reason);
  });
});
