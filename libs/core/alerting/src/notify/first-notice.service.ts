import { DeliveryState, type IncidentDelivery, type NoticeChannels } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import type { NoticeDeliveryOutcome, NoticeLedger, NotifyAdapter } from '@vigint/notify';
import type { CameraStore, IncidentStore } from '../incidents/incident-store';
import { incidentActionLinks } from './action-link';
import {
  cameraControlOf,
  channelsFrom,
  composeFirstNotice,
  noticeDecision,
  type CameraControl,
  type FirstNoticeInput,
} from './notice-policy';

/** Where the first notice reads a client's channels and a camera's controls (PostgreSQL or local config). */
export interface NoticeSettingsSource {
  channelsFor(clientId: string): Promise<{ channels: NoticeChannels; timeZone?: string } | null>;
  cameraControl(clientId: string, cameraId: string | null): Promise<CameraControl | null>;
}

/** The settings source both modes use: channels from wherever the client keeps them, controls from the camera store. */
export function noticeSettingsFrom(
  cameras: Pick<CameraStore, 'get'>,
  channelsFor: NoticeSettingsSource['channelsFor'],
): NoticeSettingsSource {
  return {
    channelsFor,
    cameraControl: async (clientId, cameraId) =>
      cameraId ? cameraControlOf(await cameras.get(clientId, cameraId)) : null,
  };
}

export interface FirstNoticeServiceOptions {
  notify: NotifyAdapter;
  /** One ledger, or one per client (the PostgreSQL ledger writes the client's id on each row). */
  ledger: NoticeLedger | ((clientId: string) => NoticeLedger);
  settings: NoticeSettingsSource;
  /** Each channel's outcome goes in the incident's delivery log (the console's incident page shows it). */
  deliveryLog?: Pick<IncidentStore, 'addDelivery'>;
  /** Signs the act-from-the-alert links; without it (or a base URL) notices carry no links. */
  linkSecret?: string;
  publicBaseUrl?: string;
  telegramApiBase?: string;
  log?: Logger;
}

export interface FirstNoticeRequest extends Omit<FirstNoticeInput, 'links' | 'timeZone'> {
  clientId: string;
  cameraId: string | null;
  /** The incident's key in the store, for the delivery log (default: `idempotencyKey`). */
  incidentKey?: string;
}

export interface FirstNoticeReport {
  skipped?: 'snoozed' | 'below_threshold' | 'no_channels';
  outcomes: NoticeDeliveryOutcome[];
}

/**
 * The first notice of an incident, sent as soon as the confirming model says yes (before the post-roll
 * ends and the e-mail goes): the snapshot and the AI's summary through the client's channels, with
 * signed links to open, acknowledge and snooze. A snoozed camera or a risk under its threshold sends nothing.
 */
export class FirstNoticeService {
  private readonly log: Logger;

  constructor(private readonly o: FirstNoticeServiceOptions) {
    this.log = (o.log ?? silentLogger).child({ module: 'first-notice' });
  }

  async send(req: FirstNoticeRequest, now: Date = new Date()): Promise<FirstNoticeReport> {
    const [settings, control] = await Promise.all([
      this.o.settings.channelsFor(req.clientId),
      this.o.settings.cameraControl(req.clientId, req.cameraId),
    ]);
    const decision = noticeDecision(req.riskLevel, control, now);
    if (!decision.send) {
      this.log.info({ incidentId: req.incidentId, reason: decision.reason }, 'first notice not sent');
      return { skipped: decision.reason, outcomes: [] };
    }
    const channels = channelsFrom(settings?.channels, this.o.telegramApiBase);
    if (channels.length === 0) return { skipped: 'no_channels', outcomes: [] };
    const links =
      this.o.linkSecret && this.o.publicBaseUrl
        ? incidentActionLinks(this.o.linkSecret, this.o.publicBaseUrl, {
            clientId: req.clientId,
            incidentId: req.incidentId,
            cameraId: req.cameraId,
          })
        : undefined;
    const notice = composeFirstNotice({ ...req, links, timeZone: settings?.timeZone });
    const ledger = typeof this.o.ledger === 'function' ? this.o.ledger(req.clientId) : this.o.ledger;
    const outcomes = await this.o.notify.sendAll(channels, notice, ledger);
    await this.logDeliveries(req, outcomes);
    return { outcomes };
  }

  private async logDeliveries(req: FirstNoticeRequest, outcomes: NoticeDeliveryOutcome[]): Promise<void> {
    if (!this.o.deliveryLog) return;
    for (const o of outcomes) {
      // A duplicate was logged when it was sent.
      if (o.status === 'duplicate') continue;
      const entry: IncidentDelivery = {
        channel: o.channel,
        status: o.status === 'sent' ? DeliveryState.Sent : DeliveryState.Failed,
        at: o.at.toISOString(),
        attempt: Math.max(1, o.attempts),
        ...(o.status === 'sent' ? {} : { detail: (o.error ?? `HTTP ${o.httpStatus ?? '?'}`).slice(0, 1000) }),
      };
      await this.o.deliveryLog
        .addDelivery(req.clientId, req.incidentKey ?? req.idempotencyKey, entry)
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not log the notice delivery'));
    }
  }
}
