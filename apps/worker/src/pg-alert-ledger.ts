import {
  AlertLedgerState,
  type AlertClaim,
  type AlertLedger,
  type AlertRecord,
  type ClaimResult,
} from '@vigint/alerting';
import { AlertRowState, type AlertRow, type Db } from '@vigint/db';

const STATE: Record<AlertRowState, AlertLedgerState> = {
  [AlertRowState.Sending]: AlertLedgerState.Sending,
  [AlertRowState.Sent]: AlertLedgerState.Sent,
  [AlertRowState.Failed]: AlertLedgerState.Failed,
  [AlertRowState.Suppressed]: AlertLedgerState.Suppressed,
};

/**
 * The AlertLedger on PostgreSQL (the `alerts` table through the db repository), shared by every worker
 * process. The claim is one atomic upsert on the unique idempotency key with a lease, so a retried job or a
 * re-sent request finds the row and never mails twice, and a sender that died mid-send is taken over only
 * once its lease has run out.
 */
export class PgAlertLedger implements AlertLedger {
  constructor(private readonly db: Pick<Db, 'alerts'>) {}

  async claim(claim: AlertClaim, leaseMs: number, now: Date = new Date()): Promise<ClaimResult> {
    const { claimed, alert } = await this.db.alerts.claim(
      {
        idempotencyKey: claim.alertKey,
        clientId: claim.clientKey,
        recipient: claim.to,
        cameraName: claim.camera,
        cameraId: claim.cameraId,
        occurredAt: claim.occurredAt,
        sceneHashes: claim.sceneHashes,
      },
      { leaseMs, now },
    );
    return { claimed, record: toLedgerRecord(alert) } as ClaimResult;
  }

  renew(alertKey: string, attempt: number, leaseMs: number, now: Date = new Date()): Promise<boolean> {
    return this.db.alerts.renewLease(alertKey, { attempt, leaseMs, now });
  }

  async markSent(alertKey: string, result: { messageId: string; sentAt: Date }): Promise<void> {
    await this.db.alerts.markSent(alertKey, { providerMessageId: result.messageId, sentAt: result.sentAt });
  }

  async markFailed(alertKey: string, error: string): Promise<void> {
    await this.db.alerts.markFailed(alertKey, error);
  }

  async markSuppressed(alertKey: string, result: { reason: string; duplicateOf?: string }): Promise<void> {
    await this.db.alerts.markSuppressed(alertKey, result);
  }

  async findRecent(clientKey: string, cameraId: string, since: Date): Promise<AlertRecord[]> {
    const rows = await this.db.alerts.listRecentForCamera({ clientId: clientKey, cameraId, since });
    return rows.map(toLedgerRecord);
  }
}

export function toLedgerRecord(r: AlertRow): AlertRecord {
  const record: AlertRecord = {
    alertKey: r.idempotencyKey,
    clientKey: r.clientId,
    camera: r.cameraName ?? '',
    cameraId: r.cameraId ?? r.cameraName ?? '',
    to: r.recipient ?? '',
    occurredAt: r.occurredAt,
    sceneHashes: r.sceneHashes.length > 0 ? r.sceneHashes : r.phash ? [r.phash] : [],
    state: STATE[r.status] ?? AlertLedgerState.Failed,
    attempts: r.attempts,
  };
  if (r.leaseUntil) record.leaseUntil = r.leaseUntil;
  if (r.providerMessageId) record.messageId = r.providerMessageId;
  if (r.sentAt) record.sentAt = r.sentAt;
  if (r.lastError) record.error = r.lastError;
  if (r.reason) record.reason = r.reason;
  if (r.duplicateOf) record.duplicateOf = r.duplicateOf;
  return record;
}
