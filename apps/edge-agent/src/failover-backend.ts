import type { AnalysisResult } from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import type {
  AnalyzeRequest,
  CameraNotice,
  CameraStatus,
  DeliveryResult,
  Incident,
  IncidentBackend,
  OpeningIncident,
} from './backend';

/** What the failover needs of the remote backend beyond IncidentBackend: storing an alert it did not send. */
export type RecordableRemote = IncidentBackend & {
  /**
   * Records at the gateway, under the incident's idempotency key, an alert the agent already sent: no e-mail.
   * Kept on disk until the gateway takes it (RemoteBackend: the disk outbox), so a restart loses nothing.
   */
  record(incident: Incident, clipFile: string | undefined, sent: DeliveryResult): Promise<DeliveryResult>;
};

export interface FailoverBackendOptions {
  remote: RecordableRemote;
  /** The agent's own AI key and SMTP server (local mode's backend); absent: incidents wait in the outbox. */
  local?: IncidentBackend;
  /** Says why `local` is absent, for the status line ("no GOOGLE_API_KEY", "no EMAIL_SMTP_SERVER"). */
  localMissing?: string;
  /** Resolves when the gateway answers (GET /api/health); rejects when it does not. */
  probe(signal: AbortSignal): Promise<unknown>;
  /** How long the gateway must be unreachable before incidents go out locally (FAILOVER_AFTER_SECONDS). */
  failoverAfterMs: number;
  /** Seconds between probes while waiting for the failover delay. Default 2 s. */
  probeIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log: Logger;
}

/**
 * Distributed mode with a safety net: alerts go through the gateway, but when it has been unreachable for
 * `failoverAfterMs` and the agent has its own AI key and SMTP settings, an incident is analysed and mailed
 * locally (the local backend's delivery policy), then recorded at the gateway when it returns, under the same
 * idempotency key, so it is listed once and mailed once. Without local credentials the outbox keeps the
 * incident until the gateway returns, as before.
 */
export class FailoverBackend implements IncidentBackend {
  readonly mode = 'remote' as const;
  private downSince: number | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Incidents mailed locally, for the status line. */
  failedOver = 0;

  constructor(private readonly o: FailoverBackendOptions) {
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  describe(): string {
    const net = this.o.local
      ? `failover to local AI + SMTP after ${Math.round(this.o.failoverAfterMs / 1000)} s without the gateway`
      : `no failover: ${this.o.localMissing ?? 'no local AI key and SMTP settings'}`;
    return `${this.o.remote.describe()}, ${net}`;
  }

  /** One phrase for the status line while the gateway is unreachable; undefined while it answers. */
  status(): string | undefined {
    if (this.downSince === undefined) return undefined;
    const s = Math.round((this.now() - this.downSince) / 1000);
    if (!this.o.local) return `gateway unreachable ${s} s: alerts wait in the outbox (${this.o.localMissing})`;
    return this.failoverDue()
      ? `gateway unreachable ${s} s: failover, alerts go by local AI + SMTP`
      : `gateway unreachable ${s} s: failover to local AI + SMTP at ${Math.round(this.o.failoverAfterMs / 1000)} s`;
  }

  /** The remote backend could not reach the gateway (an analysis fell back, an alert was queued). */
  gatewayUnreachable(): void {
    if (this.downSince === undefined) {
      this.downSince = this.now();
      this.o.log.warn({ failover: this.o.local ? 'local' : 'none' }, 'gateway unreachable');
    }
  }

  gatewayAnswered(): void {
    if (this.downSince !== undefined) this.o.log.info('gateway reachable again');
    this.downSince = undefined;
  }

  private failoverDue(): boolean {
    return this.downSince !== undefined && this.now() - this.downSince >= this.o.failoverAfterMs;
  }

  /**
   * The analysis for a request the gateway could not take: the agent's own AI once the failover delay has
   * passed, else `fallback` (the offline analyzer, as before).
   */
  analyzeWithoutGateway(req: AnalyzeRequest, fallback: () => Promise<AnalysisResult>): Promise<AnalysisResult> {
    this.gatewayUnreachable();
    if (this.o.local && this.failoverDue()) return this.o.local.analyze(req);
    return fallback();
  }

  async analyze(req: AnalyzeRequest): Promise<AnalysisResult> {
    if (this.o.local && this.failoverDue() && !(await this.reachable())) return this.o.local.analyze(req);
    return this.o.remote.analyze(req);
  }

  async deliver(incident: Incident, clipFile: string | undefined): Promise<DeliveryResult> {
    const local = this.o.local;
    if (!local) return this.watch(await this.o.remote.deliver(incident, clipFile));
    // Decide before the alert enters the outbox: once there, the gateway mails it when it returns.
    if (!(await this.reachable()) && !(await this.waitForGateway())) {
      const sent = await local.deliver(incident, clipFile);
      this.failedOver++;
      const waited = Math.round((this.now() - (this.downSince ?? this.now())) / 1000);
      this.o.log.warn(
        { key: incident.idempotencyKey, status: sent.status, waited },
        'gateway unreachable: alert sent locally',
      );
      await this.recordAtGateway(incident, clipFile, sent);
      return {
        ...sent,
        detail: [sent.detail, `gateway unreachable ${waited} s: sent by the agent`].filter(Boolean).join('; '),
      };
    }
    return this.watch(await this.o.remote.deliver(incident, clipFile));
  }

  announce(incident: OpeningIncident): Promise<void> {
    // Announce never throws and goes straight to the gateway: when it is away, the alert records the incident.
    return this.o.remote.announce(incident);
  }

  async update(incident: Incident, clipFile?: string): Promise<void> {
    await this.o.remote.update?.(incident, clipFile);
  }

  heartbeat(cameras: CameraStatus[]): Promise<void> {
    return this.o.remote.heartbeat(cameras);
  }

  async notify(notice: CameraNotice): Promise<DeliveryResult> {
    if (this.o.local && this.failoverDue() && !(await this.reachable())) return this.o.local.notify(notice);
    return this.watch(await this.o.remote.notify(notice));
  }

  async close(): Promise<void> {
    await Promise.all([this.o.remote.close(), this.o.local?.close()]);
  }

  private watch(res: DeliveryResult): DeliveryResult {
    if (res.status === 'queued') this.gatewayUnreachable();
    else if (res.status !== 'failed') this.gatewayAnswered();
    return res;
  }

  private async reachable(): Promise<boolean> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 3000);
    try {
      await this.o.probe(ctl.signal);
      this.gatewayAnswered();
      return true;
    } catch {
      this.gatewayUnreachable();
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Probes until the gateway answers (true) or the failover delay has passed since it went away (false). */
  private async waitForGateway(): Promise<boolean> {
    while (!this.failoverDue()) {
      const left = this.o.failoverAfterMs - (this.now() - (this.downSince ?? this.now()));
      await this.sleep(Math.max(0, Math.min(this.o.probeIntervalMs ?? 2000, left)));
      if (await this.reachable()) return true;
    }
    return false;
  }

  private async recordAtGateway(incident: Incident, clipFile: string | undefined, sent: DeliveryResult) {
    try {
      // Queued in the remote outbox: it reaches the gateway when it returns, under the same key.
      await this.o.remote.record(incident, clipFile, sent);
    } catch (err) {
      this.o.log.warn({ key: incident.idempotencyKey, err: (err as Error).message }, 'failover alert not recorded');
    }
  }
}
