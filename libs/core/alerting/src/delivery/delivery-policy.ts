import { rm, stat } from 'node:fs/promises';
import { AlertStatus, DeliveryState, isAppError, type IncidentRecord } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import type { AlertInput, AlertOutcome, AlertService, NoticeInput } from '../alert.service';
import type { CameraStore, IncidentStore } from '../incidents/incident-store';
import { incidentActionLinks } from '../notify/action-link';
import { cameraControlOf, noticeDecision } from '../notify/notice-policy';
import { summaryOf } from '../incidents/incident-verdicts';
import { videoLinkFor, type VideoLinkSettings } from '../video-link';

/** Fits a clip under a size (ClipService in @vigint/clip does it with ffmpeg). */
export interface ClipCompressor {
  compressToSize(
    inFile: string,
    outFile: string,
    options: { maxSizeBytes: number },
  ): Promise<{ originalSize: number; compressedSize: number }>;
}

export interface DeliveryPolicyOptions {
  alerts: Pick<AlertService, 'send' | 'sendNotice'>;
  /** Largest raw clip an e-mail takes (emailBudgetBytes of EMAIL_MAX_ATTACHMENT_MB). */
  clipBudgetBytes: number;
  /** Absent: an over-budget clip goes by link only. */
  compressor?: ClipCompressor;
  /** Where each delivery attempt is recorded (the incident's log). */
  incidents?: IncidentStore;
  /**
   * Distributed mode: the clip's private page, and the act-from-the-alert links (same secret and base: the
   * console verifies them). Local mode has no server to serve either.
   */
  links?: VideoLinkSettings;
  /** The console's snooze and per-camera threshold: a snoozed camera records its incidents but mails nothing. */
  cameras?: Pick<CameraStore, 'get'>;
  log?: Logger;
}

/** What the policy decides itself; the rest of AlertService's input passes through as the caller gave it. */
type DecidedByPolicy = 'clip' | 'clipTooLarge' | 'clipFailed' | 'videoLink' | 'actionLinks';

export interface IncidentAlertInput extends Omit<AlertInput, DecidedByPolicy> {
  /** The tenant of the incident store: the client id (`local` in local mode). */
  tenant: string;
  /** The incident's key in the store (the agent's idempotency key as the gateway sees it). */
  incidentKey: string;
  endedAt?: Date;
  /** The clip as cut (masked); absent with `clipError` when it could not be cut. */
  clip?: { path: string; filename?: string };
  clipError?: string;
  /** The stored clip (distributed mode): the private link points to it. */
  videoId?: string;
  /** Expiry of that link; default now + the link TTL. */
  linkExpiresAt?: Date;
  /** Base URL of the link, when the caller knows a better one than the settings' (the gateway's public URL). */
  linkBaseUrl?: string;
}

export interface IncidentAlertOutcome extends AlertOutcome {
  /** Size of the clip as attached, or as it would have been (the link carries it). */
  clipBytes?: number;
  compressed: boolean;
}

/**
 * The one delivery policy of both modes (local backend and worker call it with the same inputs, so the same
 * footage gives the same e-mail): the clip goes attached when it fits the e-mail budget, compressed when it does
 * not, else by private link only; a clip that could not be cut still sends the alert with the snapshot; the
 * link is built in one place; every attempt lands in the incident's delivery log.
 */
export class DeliveryPolicy {
  private readonly log: Logger;

  constructor(private readonly o: DeliveryPolicyOptions) {
    this.log = (o.log ?? silentLogger).child({ module: 'delivery-policy' });
  }

  async deliverIncident(input: IncidentAlertInput): Promise<IncidentAlertOutcome> {
    const temp: string[] = [];
    const record = await this.ensureRecorded(input);
    const quiet = await this.quieted(input);
    if (quiet) return quiet;
    try {
      const fitted = input.clip ? await this.fitClip(input.clip.path, temp) : undefined;
      const link =
        input.videoId && this.o.links
          ? videoLinkFor(
              input.linkBaseUrl ? { ...this.o.links, baseUrl: input.linkBaseUrl } : this.o.links,
              input.videoId,
              input.linkExpiresAt,
            )
          : undefined;
      let outcome: AlertOutcome;
      try {
        const {
          tenant: _tenant,
          incidentKey: _incidentKey,
          endedAt: _endedAt,
          clip: _clip,
          clipError: _clipError,
          videoId: _videoId,
          linkExpiresAt: _linkExpiresAt,
          linkBaseUrl: _linkBaseUrl,
          ...alert
        } = input;
        outcome = await this.o.alerts.send({
          ...alert,
          clip:
            fitted && !fitted.tooLarge
              ? { path: fitted.path, sizeBytes: fitted.bytes, filename: input.clip?.filename, contentType: 'video/mp4' }
              : undefined,
          clipTooLarge: fitted?.tooLarge,
          clipFailed: !input.clip && Boolean(input.clipError),
          videoLink: link,
          actionLinks:
            record && this.o.links
              ? incidentActionLinks(this.o.links.secret, input.linkBaseUrl ?? this.o.links.baseUrl, {
                  clientId: input.tenant,
                  incidentId: record.id,
                  cameraId: input.cameraId,
                })
              : undefined,
        });
      } catch (err) {
        await this.record(input, {
          channel: 'email',
          status: DeliveryState.Failed,
          at: new Date().toISOString(),
          attempt: isAppError(err) ? Number((err.details as { attempts?: number })?.attempts ?? 1) : 1,
          detail: (err instanceof Error ? err.message : String(err)).slice(0, 1000),
        });
        throw err;
      }
      if (!outcome.replayed) {
        await this.record(input, {
          channel: 'email',
          status: deliveryState(outcome.status),
          at: new Date().toISOString(),
          attempt: Math.max(1, outcome.attempts),
          ...(outcome.suppressedReason ? { detail: outcome.suppressedReason.slice(0, 1000) } : {}),
        });
      }
      await this.o.incidents
        ?.complete(input.tenant, input.incidentKey, {
          ...(input.endedAt ? { endedAt: input.endedAt.toISOString() } : {}),
          ...(input.videoId ? { clipArtifactId: input.videoId } : {}),
        })
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not close the incident'));
      return { ...outcome, clipBytes: fitted?.bytes, compressed: fitted?.compressed ?? false };
    } finally {
      await Promise.all(temp.map((f) => rm(f, { force: true })));
    }
  }

  /** Camera offline / online: the template in the recipient's language, one e-mail per key. */
  deliverNotice(input: NoticeInput): Promise<AlertOutcome> {
    return this.o.alerts.sendNotice(input);
  }

  /** Over budget → compressed into a temp file; still over (or compression failed) → link only. */
  private async fitClip(
    path: string,
    temp: string[],
  ): Promise<{ path: string; bytes: number; compressed: boolean; tooLarge: boolean }> {
    const bytes = (await stat(path)).size;
    const budget = this.o.clipBudgetBytes;
    if (bytes <= budget) return { path, bytes, compressed: false, tooLarge: false };
    if (!this.o.compressor) return { path, bytes, compressed: false, tooLarge: true };
    const small = `${path}.email.mp4`;
    temp.push(small);
    try {
      const r = await this.o.compressor.compressToSize(path, small, { maxSizeBytes: budget });
      this.log.info({ from: r.originalSize, to: r.compressedSize }, 'clip compressed for e-mail');
      const fits = r.compressedSize <= budget;
      return { path: small, bytes: r.compressedSize, compressed: true, tooLarge: !fits };
    } catch (err) {
      // The alert must go: the link (distributed mode) or the snapshot carries it.
      this.log.warn({ err: (err as Error).message, bytes, budget }, 'clip could not be compressed: sent by link only');
      return { path, bytes, compressed: false, tooLarge: true };
    }
  }

  /**
   * A snoozed camera (or a risk under the camera's console threshold) sends nothing until the snooze ends: the
   * incident stays on record and its log says why no e-mail went. Null: send.
   */
  private async quieted(input: IncidentAlertInput): Promise<IncidentAlertOutcome | null> {
    if (!this.o.cameras) return null;
    const camera = await this.o.cameras
      .get(input.tenant, input.cameraId)
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not read the camera'));
    const decision = noticeDecision(input.riskLevel, cameraControlOf(camera ?? null), new Date());
    if (decision.send) return null;
    const reason =
      decision.reason === 'snoozed' ? `camera snoozed until ${camera!.snoozedUntil}` : 'below the camera threshold';
    this.log.info({ cameraId: input.cameraId, reason }, 'alert not sent');
    await this.record(input, {
      channel: 'email',
      status: DeliveryState.Suppressed,
      at: new Date().toISOString(),
      attempt: 1,
      detail: reason,
    });
    return {
      alertId: input.alertKey,
      status: AlertStatus.Suppressed,
      to: input.to,
      attempts: 0,
      clipAttached: false,
      suppressedReason: reason,
      replayed: false,
      compressed: false,
    };
  }

  /** An alert whose incident was never announced (the earlier API, an announce lost in an outage) is recorded now. */
  private async ensureRecorded(input: IncidentAlertInput): Promise<IncidentRecord | undefined> {
    const at = input.occurredAt.toISOString();
    return this.o.incidents
      ?.open(input.tenant, {
        idempotencyKey: input.incidentKey,
        cameraId: input.cameraId,
        cameraName: input.cameraName,
        startedAt: at,
        detectedAt: at,
        riskLevel: input.riskLevel,
        incidentType: input.incidentType,
        summary: summaryOf({ analysis: input.analysis, description: input.analysis }),
      })
      .catch((err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'could not record the incident');
        return undefined;
      });
  }

  private async record(
    input: IncidentAlertInput,
    delivery: Parameters<IncidentStore['addDelivery']>[2],
  ): Promise<void> {
    await this.o.incidents
      ?.addDelivery(input.tenant, input.incidentKey, delivery)
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'could not record the delivery'));
  }
}

function deliveryState(status: AlertStatus): DeliveryState {
  switch (status) {
    case AlertStatus.Delivered:
      return DeliveryState.Sent;
    case AlertStatus.Suppressed:
      return DeliveryState.Suppressed;
    case AlertStatus.Queued:
      return DeliveryState.Queued;
    default:
      return DeliveryState.Failed;
  }
}
