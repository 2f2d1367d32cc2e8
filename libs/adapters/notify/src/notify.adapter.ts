import { silentLogger, type Logger } from '@vigint/logger';
import { buildRequest, readAnswer } from './channel-requests';
import type {
  Notice,
  NoticeAttempt,
  NoticeChannel,
  NoticeDeliveryOutcome,
  NoticeLedger,
  ChannelKind,
} from './notice.types';

export interface NotifyAdapterOptions {
  log?: Logger;
  /** Attempts per channel and notice, the first included (default 4). */
  maxAttempts?: number;
  /** First backoff delay; doubles each retry, with jitter (default 500 ms). */
  baseDelayMs?: number;
  /** No single wait longer than this, whatever a Retry-After says (default 10 s). */
  maxDelayMs?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Key of one notice on one channel: the ledger claims per (incident key, channel). */
export function deliveryKey(notice: Notice, channel: NoticeChannel): string {
  return `${notice.idempotencyKey}.${channel.kind}`;
}

/**
 * Sends instant notices: signed webhooks, ntfy pushes and Telegram messages. Each (notice, channel) is
 * sent at most once (the ledger's claim), retried with exponential backoff on 5xx/429/network errors,
 * and every attempt is written to the ledger's delivery log. Never throws for a delivery failure: the
 * outcome says what happened, so one broken channel does not hold up the e-mail.
 */
export class NotifyAdapter {
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: NotifyAdapterOptions = {}) {
    this.log = (options.log ?? silentLogger).child({ module: 'notify' });
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Every channel at once: a slow Telegram does not delay the ntfy push. */
  sendAll(channels: NoticeChannel[], notice: Notice, ledger: NoticeLedger): Promise<NoticeDeliveryOutcome[]> {
    return Promise.all(channels.map((c) => this.send(c, notice, ledger)));
  }

  async send(channel: NoticeChannel, notice: Notice, ledger: NoticeLedger): Promise<NoticeDeliveryOutcome> {
    const key = deliveryKey(notice, channel);
    const log = this.log.child({ channel: channel.kind, incidentId: notice.incidentId });
    if (!(await ledger.claim(key, channel.kind, notice.incidentId))) {
      log.info('notice already delivered on this channel, not sending again');
      return { channel: channel.kind, idempotencyKey: key, status: 'duplicate', attempts: 0, at: new Date() };
    }
    let last: NoticeDeliveryOutcome | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const { outcome, retryAfterMs } = await this.attempt(channel, { ...notice, idempotencyKey: key }, attempt);
      await ledger
        .record(toAttempt(channel.kind, key, attempt, outcome))
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not write the delivery log'));
      last = outcome;
      if (outcome.status === 'sent' || !outcome.retryable || attempt === this.maxAttempts) break;
      const backoff = this.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      const wait = Math.min(this.maxDelayMs, Math.max(backoff, retryAfterMs ?? 0));
      log.warn({ attempt, httpStatus: outcome.httpStatus, waitMs: Math.round(wait) }, 'notice failed, retrying');
      await this.sleep(wait);
    }
    const final = last!;
    await ledger.finish(key, final).catch(() => undefined);
    if (final.status === 'sent') log.info({ attempts: final.attempts }, 'notice delivered');
    else log.warn({ attempts: final.attempts, httpStatus: final.httpStatus, error: final.error }, 'notice failed');
    return final;
  }

  private async attempt(
    channel: NoticeChannel,
    notice: Notice,
    attempt: number,
  ): Promise<{ outcome: NoticeDeliveryOutcome; retryAfterMs?: number }> {
    const base = { channel: channel.kind, idempotencyKey: notice.idempotencyKey, attempts: attempt };
    const req = buildRequest(channel, notice, new Date());
    try {
      const res = await this.fetchFn(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body as NonNullable<RequestInit['body']>,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      const text = await res.text().catch(() => '');
      const answer = readAnswer(channel.kind, res.status, text, res.headers.get('retry-after'));
      return {
        outcome: {
          ...base,
          status: answer.ok ? 'sent' : 'failed',
          httpStatus: res.status,
          error: answer.error,
          retryable: answer.retryable,
          at: new Date(),
        },
        retryAfterMs: answer.retryAfterMs,
      };
    } catch (err) {
      // Network errors and timeouts: the service may be back in a moment.
      const msg = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
      return { outcome: { ...base, status: 'failed', error: msg, retryable: true, at: new Date() } };
    }
  }
}

function toAttempt(channel: ChannelKind, key: string, attempt: number, o: NoticeDeliveryOutcome): NoticeAttempt {
  return {
    channel,
    idempotencyKey: key,
    attempt,
    ok: o.status === 'sent',
    httpStatus: o.httpStatus,
    error: o.error,
    at: o.at,
  };
}
