import { describe, expect, it } from 'vitest';
import { chooseRecordingPath } from './recording-path';
import type { SourceInfo } from './source-info';

function source(formatName: string, codec: string, audio?: string, missingTimestamps = false): SourceInfo {
  return {
    formatName,
    video: { codec, width: 320, height: 180, fps: 25, bFrames: false },
    ...(audio ? { audio: { codec: audio } } : {}),
    missingTimestamps,
  };
}

describe('chooseRecordingPath', () => {
  it('stream-copies H.264 and H.265, without audio unless the camera records sound', () => {
    expect(chooseRecordingPath(source('mov,mp4,m4a,3gp,3g2,mj2', 'h264', 'aac'), { audio: false })).toMatchObject({
      video: 'copy',
      audio: 'none',
      genpts: false,
    });
    expect(chooseRecordingPath(source('matroska,webm', 'hevc'), { audio: false }).video).toBe('copy');
  });

  it('generates timestamps for H.264 in AVI (the segment muxer refuses packets without them)', () => {
    const p = chooseRecordingPath(source('avi', 'h264', 'aac', true), { audio: true });
    expect(p).toMatchObject({ video: 'copy', genpts: true, audio: 'copy' });
    expect(p.reason).toMatch(/H\.264 in AVI: stream copy with generated timestamps/);
  });

  it('transcodes MJPEG (MPEG-TS cannot carry it) and any codec it does not know', () => {
    const p = chooseRecordingPath(source('avi', 'mjpeg', 'pcm_s16le'), { audio: true });
    expect(p).toMatchObject({ video: 'transcode', audio: 'transcode', genpts: false });
    expect(p.reason).toMatch(/MJPEG cannot be stream-copied into MPEG-TS/);
    expect(chooseRecordingPath(source('avi', 'mpeg4'), { audio: false }).video).toBe('transcode');
  });

  it('turns G.711 into AAC when sound is recorded, and says when the source has none', () => {
    expect(chooseRecordingPath(source('rtsp', 'h264', 'pcm_alaw'), { audio: true })).toMatchObject({
      audio: 'transcode',
      reason: expect.stringMatching(/G\.711 A-law → AAC/),
    });
    expect(chooseRecordingPath(source('rtsp', 'h264'), { audio: true }).reason).toMatch(/no audio in the source/);
  });
});
