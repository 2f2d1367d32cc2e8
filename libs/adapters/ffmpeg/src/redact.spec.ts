import { describe, expect, it } from 'vitest';
import { redactArgs, redactCredentials } from './redact';

describe('redactCredentials', () => {
  it('hides user and password of every URL in a text, keeping host and path', () => {
    const stderr =
      '[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized\nrtsp://admin:s3cr%40t@10.0.0.5:554/live: Server returned 401';
    const out = redactCredentials(stderr);
    expect(out).not.toContain('s3cr');
    expect(out).not.toContain('admin');
    expect(out).toContain('rtsp://***@10.0.0.5:554/live');
  });

  it('leaves URLs without credentials and plain paths alone', () => {
    expect(redactArgs(['-i', 'rtsp://10.0.0.5/live', '/tmp/a@b.mp4'])).toEqual([
      '-i',
      'rtsp://10.0.0.5/live',
      '/tmp/a@b.mp4',
    ]);
  });
});
