/*
 * The record of alerts, for idempotency (one e-mail per alertKey) and duplicate-scene suppression.
 * In memory and in a file here (local mode); the worker implements it on PostgreSQL.
 */

export enum AlertLedgerState {
  /** Claimed by a sender; the lease says until when the claim holds if that sender dies. */
  Sending = 'sending',
  Sent = 'sent',
  /** Delivery failed; the next claim may try again. */
  Failed = 'failed',
  Suppressed = 'suppressed',
}

export interface AlertClaim {
  alertKey: string;
  /** Tenant (client id): the cooldown is per client and camera. */
  clientKey: string;
  /** The camera's id: the duplicate-scene check is per camera id (two cameras may share a name). */
  cameraId: string;
  /** Its display name, for diagnostics. */
  camera: string;
  to: string;
  occurredAt: Date;
  /** Perceptual hashes (16 hex chars) of the incident frames. */
  sceneHashes: string[];
}

export interface AlertRecord extends AlertClaim {
  state: AlertLedgerState;
  /** Claims made so far (sending attempts). */
  attempts: number;
  leaseUntil?: Date;
  messageId?: string;
  sentAt?: Date;
  error?: string;
  reason?: string;
  duplicateOf?: string;
}

export type ClaimResult = { claimed: true; record: AlertRecord } | { claimed: false; record: AlertRecord };

export interface AlertLedger {
  /**
   * Atomically: no record, a Failed one, or a Sending one whose lease ran out → becomes Sending (attempts + 1)
   * and `claimed: true`. Otherwise `claimed: false` with the existing record (Sent, Suppressed, or Sending
   * under a live lease).
   */
  claim(claim: AlertClaim, leaseMs: number, now?: Date): Promise<ClaimResult>;
  /**
   * The live sender's heartbeat: extends the lease of claim number `attempt` to now + leaseMs while that claim
   * still holds (state Sending, same attempt). False when it no longer does (taken over, or finished).
   */
  renew(alertKey: string, attempt: number, leaseMs: number, now?: Date): Promise<boolean>;
  markSent(alertKey: string, result: { messageId: string; sentAt: Date }): Promise<void>;
  markFailed(alertKey: string, error: string): Promise<void>;
  markSuppressed(alertKey: string, result: { reason: string; duplicateOf?: string }): Promise<void>;
  /** Records in state Sent or Sending for this client and camera id with occurredAt ≥ since, newest first. */
  findRecent(clientKey: string, cameraId: string, since: Date): Promise<AlertRecord[]>;
}

/** Shared claim rule, so every implementation decides the same way. */
export function canClaim(existing: AlertRecord | undefined, now: Date): boolean {
  if (!existing) return true;
  if (existing.state === AlertLedgerState.Failed) return true;
  return existing.state === AlertLedgerState.Sending && (existing.leaseUntil?.getTime() ?? 0) <= now.getTime();
}

export function recentFilter(clientKey: string, cameraId: string, since: Date): (r: AlertRecord) => boolean {
  return (r) =>
    r.clientKey === clientKey &&
    r.cameraId === cameraId &&
    (r.state === AlertLedgerState.Sent || r.state === AlertLedgerState.Sending) &&
    r.occurredAt.getTime() >= since.getTime();
}

export class MemoryAlertLedger implements AlertLedger {
  protected readonly records = new Map<string, AlertRecord>();

  async claim(claim: AlertClaim, leaseMs: number, now: Date = new Date()): Promise<ClaimResult> {
    // No await before the check-and-set: in one process this is atomic.
    const existing = this.records.get(claim.alertKey);
    if (!canClaim(existing, now)) return { claimed: false, record: { ...existing! } };
    const record: AlertRecord = {
      ...claim,
      state: AlertLedgerState.Sending,
      attempts: (existing?.attempts ?? 0) + 1,
      leaseUntil: new Date(now.getTime() + leaseMs),
    };
    this.records.set(claim.alertKey, record);
    await this.persist();
    return { claimed: true, record: { ...record } };
  }

  async renew(alertKey: string, attempt: number, leaseMs: number, now: Date = new Date()): Promise<boolean> {
    const r = this.records.get(alertKey);
    if (!r || r.state !== AlertLedgerState.Sending || r.attempts !== attempt) return false;
    this.records.set(alertKey, { ...r, leaseUntil: new Date(now.getTime() + leaseMs) });
    await this.persist();
    return true;
  }

  async markSent(alertKey: string, result: { messageId: string; sentAt: Date }): Promise<void> {
    this.update(alertKey, {
      state: AlertLedgerState.Sent,
      messageId: result.messageId,
      sentAt: result.sentAt,
      leaseUntil: undefined,
      error: undefined,
    });
    await this.persist();
  }

  async markFailed(alertKey: string, error: string): Promise<void> {
    this.update(alertKey, { state: AlertLedgerState.Failed, error, leaseUntil: undefined });
    await this.persist();
  }

  async markSuppressed(alertKey: string, result: { reason: string; duplicateOf?: string }): Promise<void> {
    this.update(alertKey, { state: AlertLedgerState.Suppressed, ...result, leaseUntil: undefined });
    await this.persist();
  }

  async findRecent(clientKey: string, cameraId: string, since: Date): Promise<AlertRecord[]> {
    return [...this.records.values()]
      .filter(recentFilter(clientKey, cameraId, since))
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())
      .map((r) => ({ ...r }));
  }

  /** For tests and diagnostics. */
  async get(alertKey: string): Promise<AlertRecord | undefined> {
    const r = this.records.get(alertKey);
    return r ? { ...r } : undefined;
  }

  private update(alertKey: string, patch: Partial<AlertRecord>): void {
    const r = this.records.get(alertKey);
    if (!r) throw new Error(`alert ledger: no claim for ${alertKey}`);
    this.records.set(alertKey, { ...r, ...patch });
  }

  /** Hook for the file-backed ledger. */
  protected async persist(): Promise<void> {}
}
