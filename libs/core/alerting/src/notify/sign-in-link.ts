import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A console sign-in link lasts 15 minutes and works once (the nonce is taken from Redis on use). */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

export interface SignInClaim {
  clientId: string;
  /** Random, single use: the gateway keeps it in Redis until the link is used or expires. */
  nonce: string;
  expiresAt: Date;
}

function mac(secret: string, payload: string): Buffer {
  // Its own purpose prefix: no action or video token can pass as a sign-in token, nor the reverse.
  return createHmac('sha256', secret).update(`vigint-sign-in\n${payload}`).digest();
}

export function newSignInClaim(clientId: string, now: Date = new Date()): SignInClaim {
  return {
    clientId,
    nonce: randomBytes(18).toString('base64url'),
    expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS),
  };
}

/** `<base64url clientId|nonce|exp>.<base64url HMAC-SHA256>`. */
export function signSignInLink(secret: string, claim: SignInClaim): string {
  if (!secret) throw new Error('signSignInLink needs a secret');
  const payload = [claim.clientId, claim.nonce, Math.floor(claim.expiresAt.getTime() / 1000)].join('|');
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

export function verifySignInLink(
  secret: string,
  token: string,
  now: Date = new Date(),
): { valid: true; claim: SignInClaim } | { valid: false; reason: 'malformed' | 'bad_signature' | 'expired' } {
  const m = /^([A-Za-z0-9_-]{8,300})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
  if (!secret || !m) return { valid: false, reason: 'malformed' };
  const payload = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { valid: false, reason: 'bad_signature' };
  const [clientId = '', nonce = '', exp = ''] = payload.split('|');
  if (!clientId || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || !/^\d{1,12}$/.test(exp))
    return { valid: false, reason: 'malformed' };
  const expiresAt = new Date(Number(exp) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, claim: { clientId, nonce, expiresAt } };
}
