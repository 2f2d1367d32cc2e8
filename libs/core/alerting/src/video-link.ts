import { createHmac, timingSafeEqual } from 'node:crypto';

/** The earlier system's private links lasted 48 h. */
export const VIDEO_LINK_TTL_MS = 48 * 60 * 60 * 1000;

export interface VideoLinkCheck {
  valid: boolean;
  expiresAt?: Date;
  reason?: 'malformed' | 'bad_signature' | 'expired';
}

function mac(secret: string, videoId: string, expSeconds: number): Buffer {
  // The id and expiry are both signed: a token cannot be moved to another video or stretched in time.
  return createHmac('sha256', secret).update(`${videoId}\n${expSeconds}`).digest();
}

/** Token for `GET /video/{id}?token=`: `<expiry unix seconds>.<base64url HMAC-SHA256(id, expiry)>`. */
export function signVideoLink(secret: string, videoId: string, expiresAt: Date): string {
  if (!secret) throw new Error('signVideoLink needs a secret');
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `${exp}.${mac(secret, videoId, exp).toString('base64url')}`;
}

export function verifyVideoLink(
  secret: string,
  videoId: string,
  token: string,
  now: Date = new Date(),
): VideoLinkCheck {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
  if (!secret || !m) return { valid: false, reason: 'malformed' };
  const exp = Number(m[1]);
  const expiresAt = new Date(exp * 1000);
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, videoId, exp);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'bad_signature' };
  }
  if (now.getTime() >= expiresAt.getTime()) return { valid: false, expiresAt, reason: 'expired' };
  return { valid: true, expiresAt };
}
