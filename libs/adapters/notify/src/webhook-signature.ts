import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'x-vigint-signature';

export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  // The timestamp is inside the MAC: a captured request cannot be replayed later with a fresh time.
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export interface WebhookVerification {
  valid: boolean;
  reason?: 'malformed' | 'bad_signature' | 'too_old';
  timestamp?: number;
}

/**
 * For receivers (and our tests): checks the signature header against the raw body, and that the
 * timestamp is within `toleranceSeconds` (default 300) of now.
 */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): WebhookVerification {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return { valid: false, reason: 'malformed' };
  const t = Number(m[1]);
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(m[2]!, 'hex');
  if (!timingSafeEqual(expected, given)) return { valid: false, reason: 'bad_signature', timestamp: t };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return { valid: false, reason: 'too_old', timestamp: t };
  return { valid: true, timestamp: t };
}
