import { describe, expect, it } from 'vitest';
import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('redacts api_key, token and key, however the name is spelt or encoded', () => {
    const secret = 'k3y-Value_123';
    for (const name of ['api_key', 'API_KEY', 'api%5Fkey', 'api%5fKey', 'token', 'tok%65n', 'key', '%6Bey']) {
      const out = redactUrl(`/api/jobs/1?x=1&${name}=${secret}&y=2`);
      expect(out, name).not.toContain(secret);
      expect(out, name).toBe(`/api/jobs/1?x=1&${name}=[Redacted]&y=2`);
    }
  });

  it('leaves other parameters and malformed names alone', () => {
    expect(redactUrl('/video/a?keys=1&monkey=2&%E0=3')).toBe('/video/a?keys=1&monkey=2&%E0=3');
    expect(redactUrl('/video/a?api_key=s#frag')).toBe('/video/a?api_key=[Redacted]#frag');
  });
});
