import type { ChannelKind, NoticeAttempt, NoticeDeliveryOutcome, NoticeLedger } from '@vigint/notify';
import type { Db } from '@vigint/db';

/** A sender that died mid-send gives its claim up after this (the adapter's retries take about a minute). */
export const NOTICE_CLAIM_LEASE_MS = 3 * 60_000;

/**
 * The NoticeLedger on PostgreSQL (`notice_deliveries`), one per client and job: a claim is one atomic upsert
 * on the unique (incident, channel) key, so a retried job or a replayed announce never notifies twice, while a
 * failed channel may be claimed again by the job's next attempt. Rows expire with the incident.
 */
export class PgNoticeLedger implements NoticeLedger {
  constructor(
    private readonly db: Pick<Db, 'noticeDeliveries'>,
    private readonly clientId: string,
    private readonly expiresAt: Date,
  ) {}

  claim(key: string, channel: ChannelKind, incidentId: string): Promise<boolean> {
    return this.db.noticeDeliveries.claim({
      clientId: this.clientId,
      idempotencyKey: key,
      incidentId,
      channel,
      leaseMs: NOTICE_CLAIM_LEASE_MS,
      expiresAt: this.expiresAt,
    });
  }

  record(attempt: NoticeAttempt): Promise<void> {
    return this.db.noticeDeliveries.recordAttempt(attempt.idempotencyKey, attempt);
  }

  finish(key: string, outcome: NoticeDeliveryOutcome): Promise<void> {
    return this.db.noticeDeliveries.finish(key, outcome.status === 'sent' ? 'sent' : 'failed');
  }
}
