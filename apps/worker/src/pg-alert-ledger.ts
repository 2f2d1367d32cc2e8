import {
  AlertLedgerState,
  canClaim,
  type AlertClaim,
  type AlertLedger,
  type AlertRecord,
  type ClaimResult,
} from '@vigint/alerting';
import { AlertStatus } from '@vigint/contracts';
import type { AlertRecord as AlertRow, Db } from '@vigint/db';

const STATE: Record<string, AlertLedgerState> = {
  [AlertStatus.Queued]: AlertLedgerState.Sending,
  [AlertStatus.Delivered]: AlertLedgerState.Sent,
  [AlertStatus.Failed]: AlertLedgerState.Failed,
  [AlertStatus.Suppressed]: AlertLedgerState.Suppressed,
};

/**
 * The AlertLedger on PostgreSQL (the `alerts` table through the db repository), shared by every worker
 * process: the unique idempotency key makes the first claim atomic (INSERT … ON CONFLICT DO NOTHING), so a
 * retried job or a re-sent request finds the row and never mails twice.
 *
 * The table has no lease column: a row still `queued` (a sender took it and never finished) counts as leased
 * for `leaseMs` per attempt from its creation. After that a retry may claim it again — at-least-once for a
 * sender that died between SMTP and markSent, rather than an alert lost.
 */
export class PgAlertLedger implements AlertLedger {
  constructor(private readonly db: Pick<Db, 'alerts'>) {}

  async claim(claim: AlertClaim, leaseMs: number, now: Date = new Date()): Promise<ClaimResult> {
    const { alerts } = this.db;
    const { alert, created } = await alerts.claim({
      idempotencyKey: claim.alertKey,
      clientId: claim.clientKey,
      recipient: claim.to,
      phash: claim.sceneHashes.join(',') || null,
      cameraName: claim.camera,
    });
    const existing = created ? undefined : this.toRecord(alert, claim, leaseMs);
    if (!created && !canClaim(existing, now)) return { claimed: false, record: existing! };
    const attempts = await alerts.incrementAttempts(alert.id);
    return {
      claimed: true,
      record: {
        ...claim,
        state: AlertLedgerState.Sending,
        attempts,
        leaseUntil: new Date(now.getTime() + leaseMs),
      },
    };
  }

  async markSent(alertKey: string, result: { messageId: string; sentAt: Date }): Promise<void> {
    const row = await this.row(alertKey);
    await this.db.alerts.markSent(row.id, { providerMessageId: result.messageId, sentAt: result.sentAt });
  }

  async markFailed(alertKey: string, error: string): Promise<void> {
    const row = await this.row(alertKey);
    await this.db.alerts.markFailed(row.id, error);
  }

  async markSuppressed(alertKey: string, result: { reason: string; duplicateOf?: string }): Promise<void> {
    const row = await this.row(alertKey);
    const reason = result.duplicateOf ? `${result.reason} (duplicate of ${result.duplicateOf})` : result.reason;
    await this.db.alerts.markSuppressed(row.id, reason);
  }

  async findRecent(clientKey: string, camera: string, since: Date): Promise<AlertRecord[]> {
    const rows = await this.db.alerts.listRecentForCamera({
      clientId: clientKey,
      cameraName: camera,
      since,
      statuses: [AlertStatus.Delivered, AlertStatus.Queued],
    });
    return rows.map((r) => this.toRecord(r));
  }

  private async row(alertKey: string): Promise<AlertRow> {
    const row = await this.db.alerts.findByIdempotencyKey(alertKey);
    if (!row) throw new Error(`alert ledger: no claim for ${alertKey}`);
    return row;
  }

  private toRecord(r: AlertRow, claim?: AlertClaim, leaseMs = 0): AlertRecord {
    const state = STATE[r.status] ?? AlertLedgerState.Failed;
    const record: AlertRecord = {
      alertKey: r.idempotencyKey,
      clientKey: r.clientId,
      camera: r.cameraName ?? claim?.camera ?? '',
      to: r.recipient ?? claim?.to ?? '',
      // The table keeps when the alert was first claimed; that is the scene's time for the cooldown.
      occurredAt: r.createdAt,
      sceneHashes: r.phash ? r.phash.split(',') : [],
      state,
      attempts: r.attempts,
    };
    if (state === AlertLedgerState.Sending) {
      record.leaseUntil = new Date(r.createdAt.getTime() + leaseMs * Math.max(1, r.attempts));
    }
    if (r.providerMessageId) record.messageId = r.providerMessageId;
    if (r.sentAt) record.sentAt = r.sentAt;
    if (r.lastError) {
      if (state === AlertLedgerState.Suppressed) record.reason = r.lastError;
      else record.error = r.lastError;
    }
    return record;
  }
}
