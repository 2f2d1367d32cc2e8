import { describe, expect, it } from 'vitest';
import { signVideoLink, verifyVideoLink, VIDEO_LINK_TTL_MS } from './video-link';

const now = new Date('2026-01-01T00:00:00Z');
const expiresAt = new Date(now.getTime() + VIDEO_LINK_TTL_MS);

describe('video links', () => {
  it('verifies a token for its video until it expires', () => {
    const token = signVideoLink('s3cret', 'vid-1', expiresAt);
    expect(verifyVideoLink('s3cret', 'vid-1', token, now)).toEqual({ valid: true, expiresAt });
    expect(verifyVideoLink('s3cret', 'vid-1', token, expiresAt)).toMatchObject({ valid: false, reason: 'expired' });
  });

  it('rejects another video, another secret, a stretched expiry and garbage', () => {
    const token = signVideoLink('s3cret', 'vid-1', expiresAt);
    expect(verifyVideoLink('s3cret', 'vid-2', token, now).reason).toBe('bad_signature');
    expect(verifyVideoLink('other', 'vid-1', token, now).reason).toBe('bad_signature');
    const [exp, sig] = token.split('.');
    expect(verifyVideoLink('s3cret', 'vid-1', `${Number(exp) + 3600}.${sig}`, now).reason).toBe('bad_signature');
    expect(verifyVideoLink('s3cret', 'vid-1', 'nope', now).reason).toBe('malformed');
    expect(verifyVideoLink('s3cret', 'vid-1', `${exp}.${sig}x`, now).reason).toBe('malformed');
  });
});
