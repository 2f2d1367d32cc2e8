import type { ChannelKind, NoticeAttempt, NoticeDeliveryOutcome, NoticeLedger } from './notice.types';

export interface NoticeLedgerEntry {
  channel: ChannelKind;
  incidentId: string;
  status: 'sending' | 'sent' | 'failed';
  attempts: NoticeAttempt[];
}

/**
 * In-process ledger (local mode, tests): one send per key while the process lives. A failed key may be
 * claimed again, so a later retry can still deliver.
 */
export class MemoryNoticeLedger implements NoticeLedger {
  protected readonly entries = new Map<string, NoticeLedgerEntry>();
  private readonly maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  async claim(key: string, channel: ChannelKind, incidentId: string): Promise<boolean> {
    const e = this.entries.get(key);
    if (e && e.status !== 'failed') return false;
    if (!e && this.entries.size >= this.maxEntries) {
      // Oldest first (Map keeps insertion order): the ledger only has to outlive a job's retries.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { channel, incidentId, status: 'sending', attempts: e?.attempts ?? [] });
    await this.persist();
    return true;
  }

  async record(attempt: NoticeAttempt): Promise<void> {
    const e = this.entries.get(attempt.idempotencyKey);
    if (!e) return;
    e.attempts.push(attempt);
    await this.persist();
  }

  async finish(key: string, outcome: NoticeDeliveryOutcome): Promise<void> {
    const e = this.entries.get(key);
    if (!e) return;
    e.status = outcome.status === 'sent' ? 'sent' : 'failed';
    await this.persist();
  }

  /** Called after every change; the file ledger saves there. */
  protected async persist(): Promise<void> {}

  /** The delivery log of one incident, oldest first. */
  attemptsFor(incidentId: string): NoticeAttempt[] {
    return [...this.entries.values()].filter((e) => e.incidentId === incidentId).flatMap((e) => e.attempts);
  }
}
