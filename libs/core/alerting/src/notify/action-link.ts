import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed link in an e-mail or notice does, without signing in. */
export enum IncidentAction {
  Open = 'open',
  Acknowledge = 'ack',
  Snooze15 = 's15',
  Snooze60 = 's60',
}

export const SNOOZE_MINUTES: Partial<Record<IncidentAction, number>> = {
  [IncidentAction.Snooze15]: 15,
  [IncidentAction.Snooze60]: 60,
};

export interface ActionClaim {
  action: IncidentAction;
  clientId: string;
  incidentId: string;
  /** The incident's camera (snooze links act on it); empty when unknown. */
  cameraId: string;
  expiresAt: Date;
}

/** Action links last as long as the private video link: 48 h. */
export const ACTION_LINK_TTL_MS = 48 * 60 * 60 * 1000;

const ACTIONS = new Set<string>(Object.values(IncidentAction));

function mac(secret: string, payload: string): Buffer {
  // A separate purpose prefix: a video-link token can never pass as an action token, nor the reverse.
  return createHmac('sha256', secret).update(`vigint-action\n${payload}`).digest();
}

/**
 * `<base64url payload>.<base64url HMAC-SHA256>`; the payload names the action, client, incident,
 * camera and expiry, all signed, so a token works for that one thing until it expires.
 */
export function signActionLink(secret: string, claim: ActionClaim): string {
  if (!secret) throw new Error('signActionLink needs a secret');
  const exp = Math.floor(claim.expiresAt.getTime() / 1000);
  const payload = [claim.action, claim.clientId, claim.incidentId, claim.cameraId, exp].join('|');
  return `${Buffer.from(payload, 'utf8').toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

export type ActionLinkCheck =
  { valid: true; claim: ActionClaim } | { valid: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifyActionLink(secret: string, token: string, now: Date = new Date()): ActionLinkCheck {
  const m = /^([A-Za-z0-9_-]{8,400})\.([A-Za-z0-9_-]{43})$/.exec(token ?? '');
  if (!secret || !m) return { valid: false, reason: 'malformed' };
  const payload = Buffer.from(m[1]!, 'base64url').toString('utf8');
  const given = Buffer.from(m[2]!, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'bad_signature' };
  }
  const [action = '', clientId = '', incidentId = '', cameraId = '', exp = ''] = payload.split('|');
  if (!ACTIONS.has(action) || !/^\d{1,12}$/.test(exp)) return { valid: false, reason: 'malformed' };
  const expiresAt = new Date(Number(exp) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, claim: { action: action as IncidentAction, clientId, incidentId, cameraId, expiresAt } };
}

export interface IncidentActionLinks {
  open: string;
  acknowledge: string;
  snooze15: string;
  snooze60: string;
}

/** The four links of one incident, under `<baseUrl>/console/act/<token>`. */
export function incidentActionLinks(
  secret: string,
  baseUrl: string,
  ids: { clientId: string; incidentId: string; cameraId?: string | null },
  now: Date = new Date(),
  ttlMs: number = ACTION_LINK_TTL_MS,
): IncidentActionLinks {
  const base = baseUrl.replace(/\/+$/, '');
  const expiresAt = new Date(now.getTime() + ttlMs);
  const url = (action: IncidentAction) =>
    `${base}/console/act/${signActionLink(secret, {
      action,
      clientId: ids.clientId,
      incidentId: ids.incidentId,
      cameraId: ids.cameraId ?? '',
      expiresAt,
    })}`;
  return {
    open: url(IncidentAction.Open),
    acknowledge: url(IncidentAction.Acknowledge),
    snooze15: url(IncidentAction.Snooze15),
    snooze60: url(IncidentAction.Snooze60),
  };
}
