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

export interface VideoLinkSettings {
  /** VIDEO_LINK_SECRET, else SECRET_KEY. */
  secret: string;
  /** The gateway's public URL (PUBLIC_BASE_URL): the page is served there. */
  baseUrl: string;
  /** VIDEO_LINK_TTL_HOURS (default 48). */
  ttlHours?: number;
}

/**
 * The one link builder: `<base>/video/<id>?token=…`. The gateway (for its reply) and the worker (for the e-mail)
 * call it with the same settings and expiry, so the reply and the e-mail carry the same link.
 */
export function videoLinkFor(
  settings: VideoLinkSettings,
  videoId: string,
  expiresAt?: Date,
): { url: string; expiresAt: Date } {
  // Whole seconds: the token signs seconds, so two callers given the same instant build the same URL.
  const exp = new Date(
    Math.floor((expiresAt?.getTime() ?? Date.now() + (settings.ttlHours ?? 48) * 3_600_000) / 1000) * 1000,
  );
  const token = signVideoLink(settings.secret, videoId, exp);
  const base = settings.baseUrl.replace(/\/+$/, '');
  return { url: `${base}/video/${encodeURIComponent(videoId)}?token=${encodeURIComponent(token)}`, expiresAt: exp };
}
