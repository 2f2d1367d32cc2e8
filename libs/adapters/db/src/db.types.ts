import type { AlertLanguage } from '@vigint/contracts';

/*
 * Plain records the repositories return (never Prisma objects). Ids are strings everywhere, as in the
 * job payloads; clients, api_keys and api_usage keep the earlier system's integer ids in the database
 * (so imported keys and ids stay valid), which callers see as decimal strings ("3").
 */

export interface ClientRecord {
  id: string;
  name: string;
  /** '' when the client has no address of its own (the built-in SECRET_KEY client): alerts go to EMAIL_TO. */
  email: string;
  language: AlertLanguage;
  createdAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  clientId: string;
  name: string;
  isActive: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** Why an inactive key is inactive: `key` (revoked on its own: permanent) or `client` (disabled with its client). */
  revokeReason: 'key' | 'client' | null;
}

export interface ClientWithKeys extends ClientRecord {
  apiKeys: ApiKeyRecord[];
}

/** Alert row states; the same words as the alerting lib's AlertLedgerState. */
export const AlertRowState = {
  /** Claimed by a sender until `leaseUntil`. */
  Sending: 'sending',
  Sent: 'sent',
  /** Delivery failed; the next claim may try again. */
  Failed: 'failed',
  Suppressed: 'suppressed',
} as const;
export type AlertRowState = (typeof AlertRowState)[keyof typeof AlertRowState];

export interface AlertRow {
  id: string;
  incidentId: string | null;
  clientId: string;
  idempotencyKey: string;
  status: AlertRowState;
  /** Claims made so far (sending attempts). */
  attempts: number;
  providerMessageId: string | null;
  recipient: string | null;
  phash: string | null;
  sceneHashes: string[];
  cameraName: string | null;
  /** The camera's id: duplicate scenes are looked for per camera id (two cameras may share a name). */
  cameraId: string | null;
  occurredAt: Date;
  leaseUntil: Date | null;
  lastError: string | null;
  reason: string | null;
  duplicateOf: string | null;
  sentAt: Date | null;
  createdAt: Date;
}

export interface ArtifactRecord {
  id: string;
  clientId: string;
  kind: string;
  storageKey: string;
  bytes: number;
  sha256: string;
  mime: string;
  /** Display only; never part of a storage path. */
  filename: string | null;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface ArtifactStats {
  count: number;
  bytes: number;
  oldest: Date | null;
  newest: Date | null;
}

export interface ApiCallRecord {
  id: string;
  apiKeyId: string;
  endpoint: string;
  method: string;
  statusCode: number;
  cost: number;
  inputTokens: number;
  outputTokens: number;
  timestamp: Date;
}

export interface UsageDailyRecord {
  apiKeyId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  endpoint: string;
  calls: number;
  aiRequests: number;
  inputTokens: number;
  outputTokens: number;
  bytesIn: number;
  bytesOut: number;
  alertsSent: number;
}

export interface AuditRecord {
  id: string;
  clientId: string | null;
  apiKeyId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  at: Date;
}

/** Known audit actions; other strings are accepted too. */
export type AuditAction =
  'download' | 'link_view' | 'delete' | 'erase' | 'key_revoke' | 'key_reactivate' | (string & {});
