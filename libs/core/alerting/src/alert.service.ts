import { stat } from 'node:fs/promises';
import {
  AlertLanguage,
  AlertStatus,
  AppError,
  ErrorCode,
  isAppError,
  type IncidentType,
  type RiskLevel,
} from '@vigint/contracts';
import { hammingDistance, type ImageAdapter } from '@vigint/image';
import { silentLogger, type Logger } from '@vigint/logger';
import type { MailAttachment, MailMessage, MailTransport } from '@vigint/mailer';
import { AlertLedgerState, type AlertLedger, type AlertRecord } from './alert-ledger';
import { AlertTemplate, type RenderedMail } from './templates/alert-template';
import { renderAlertEmail } from './templates/render-alert-email';
import type { IncidentActionLinks } from './notify/action-link';

export interface AlertClip {
  /** A file on disk (streamed into the e-mail) or bytes in memory. */
  path?: string;
  data?: Buffer;
  /** Size in bytes; read from the file when absent. */
  sizeBytes?: number;
  filename?: string;
  contentType?: string;
}

export interface AlertInput {
  /** Idempotency key (incident id): one e-mail per key, however often send() is retried. */
  alertKey: string;
  /** Tenant: the duplicate-scene cooldown is per client and camera. */
  clientKey: string;
  to: string;
  clientName?: string;
  /** The camera's id: duplicate scenes are suppressed per camera id, never across two cameras named alike. */
  cameraId: string;
  cameraName: string;
  riskLevel: RiskLevel;
  incidentType: IncidentType;
  analysis: string;
  detailedAnalysis?: string;
  language: AlertLanguage;
  occurredAt: Date;
  /** Incident frames (JPEG/PNG): the thumbnail and the perceptual hashes come from them. */
  frames: Buffer[];
  clip?: AlertClip;
  /** A clip existed but is over the e-mail budget (even compressed): the e-mail points to the link. */
  clipTooLarge?: boolean;
  /** The clip could not be cut: the alert goes with the snapshot and says so. */
  clipFailed?: boolean;
  /** The confirming model could not answer; the screening verdict stands. */
  confirmUnanswered?: boolean;
  /** The private, signed link to the clip's page; always in the e-mail when given. */
  videoLink?: { url: string; expiresAt: Date };
  /** Signed links to open, acknowledge and snooze without signing in (distributed mode: the console's). */
  actionLinks?: IncidentActionLinks;
  timeZone?: string;
}

/** A camera offline / back online notice: templated, in the recipient's language, one e-mail per key. */
export interface NoticeInput {
  alertKey: string;
  clientKey: string;
  to: string;
  clientName?: string;
  kind: 'camera_offline' | 'camera_online';
  cameraId: string;
  cameraName: string;
  /** When the notice was decided. */
  at: Date;
  /** When the last picture arrived before the outage (default: `at` minus `seconds`). */
  outageStartedAt?: Date;
  seconds: number;
  language: AlertLanguage;
  timeZone?: string;
}

export interface AlertOutcome {
  alertId: string;
  status: AlertStatus;
  to: string;
  /** Send attempts recorded for this key (this one included). */
  attempts: number;
  messageId?: string;
  clipAttached: boolean;
  suppressedReason?: string;
  duplicateOf?: string;
  /** True when this call sent nothing because the key was already delivered or suppressed earlier. */
  replayed: boolean;
  videoUrl?: string;
  videoExpiresAt?: string;
}

export interface AlertServiceOptions {
  mailer: MailTransport;
  ledger: AlertLedger;
  image: ImageAdapter;
  /** EMAIL_FROM */
  from: string;
  log?: Logger;
  /** Same scene, same client and camera within this window → suppressed (default 60 s). */
  cooldownMs?: number;
  /** dHash bits that may differ for two frames to count as the same scene (default 10 of 64). */
  sceneDistance?: number;
  /** Largest clip attached, in raw bytes (base64 adds a third on the wire; default 15 MB ≈ 20 MB encoded). */
  maxClipBytes?: number;
  /**
   * How long a claim holds without its sender's heartbeat (renewed every third of it while the e-mail is
   * composed and sent): a crashed sender's alert is taken over after at most this long (default 30 s).
   */
  claimLeaseMs?: number;
}

const THUMBNAIL_CID = 'vigint-thumbnail';

/** Up to three frames stand for the scene: first, middle and last. */
function sceneFrames(frames: Buffer[]): Buffer[] {
  if (frames.length <= 3) return frames;
  return [frames[0]!, frames[Math.floor(frames.length / 2)]!, frames[frames.length - 1]!];
}

/**
 * Composes and sends alert e-mails: idempotent per alertKey (through the ledger), duplicate scenes
 * suppressed by perceptual hash within the cooldown, clip attached when it fits, link always.
 */
export class AlertService {
  private readonly log: Logger;
  private readonly cooldownMs: number;
  private readonly sceneDistance: number;
  private readonly maxClipBytes: number;
  private readonly leaseMs: number;

  constructor(private readonly options: AlertServiceOptions) {
    this.log = (options.log ?? silentLogger).child({ module: 'alert' });
    this.cooldownMs = options.cooldownMs ?? 60_000;
    this.sceneDistance = options.sceneDistance ?? 10;
    this.maxClipBytes = options.maxClipBytes ?? 15 * 1024 * 1024;
    this.leaseMs = options.claimLeaseMs ?? 30_000;
  }

  async send(input: AlertInput): Promise<AlertOutcome> {
    const { ledger, image } = this.options;
    if (!input.to) throw new AppError(ErrorCode.ValidationFailed, 'the alert has no recipient', { field: 'to' });
    if (!input.alertKey)
      throw new AppError(ErrorCode.ValidationFailed, 'the alert has no idempotency key', { field: 'alertKey' });
    const log = this.log.child({ alertKey: input.alertKey, camera: input.cameraName });
    const frames = sceneFrames(input.frames);
    const sceneHashes = await Promise.all(frames.map((f) => image.perceptualHash(f)));

    const claim = await ledger.claim(
      {
        alertKey: input.alertKey,
        clientKey: input.clientKey,
        cameraId: input.cameraId,
        camera: input.cameraName,
        to: input.to,
        occurredAt: input.occurredAt,
        sceneHashes,
      },
      this.leaseMs,
    );
    if (!claim.claimed) {
      log.info({ state: claim.record.state }, 'alert already handled, not sending again');
      return this.outcomeFromRecord(input, claim.record);
    }

    const duplicate = await this.findDuplicate(input, sceneHashes);
    if (duplicate) {
      const what = sceneHashes.length ? 'same scene as' : 'no frame to compare, same camera as';
      const reason = `${what} alert ${duplicate.alertKey} within ${Math.round(this.cooldownMs / 1000)} s`;
      await ledger.markSuppressed(input.alertKey, { reason, duplicateOf: duplicate.alertKey });
      log.info({ duplicateOf: duplicate.alertKey }, 'alert suppressed: duplicate scene');
      return {
        ...this.base(input, claim.record.attempts, false),
        status: AlertStatus.Suppressed,
        suppressedReason: reason,
        duplicateOf: duplicate.alertKey,
      };
    }

    let clipAttached = false;
    try {
      const result = await this.holding(input.alertKey, claim.record.attempts, async () => {
        const { message, clipAttached: attached } = await this.compose(input);
        clipAttached = attached;
        return this.options.mailer.send(message);
      });
      await ledger.markSent(input.alertKey, { messageId: result.messageId, sentAt: new Date() });
      log.info(
        { attempts: claim.record.attempts, clipAttached, transport: this.options.mailer.kind },
        'alert delivered',
      );
      return {
        ...this.base(input, claim.record.attempts, clipAttached),
        status: AlertStatus.Delivered,
        messageId: result.messageId,
      };
    } catch (err) {
      // Release the claim: nothing was sent, so the retry must send (once).
      const msg = err instanceof Error ? err.message : String(err);
      await ledger
        .markFailed(input.alertKey, msg)
        .catch((e: unknown) => log.error({ err: e }, 'could not record the failed alert'));
      log.warn(
        { attempts: claim.record.attempts, code: isAppError(err) ? err.code : undefined },
        'alert delivery failed',
      );
      // Only delivery failures are retried as such; a bug or a bad frame surfaces as itself.
      if (!isAppError(err) || err.code !== ErrorCode.MailDeliveryFailed) throw err;
      throw new AppError(ErrorCode.MailDeliveryFailed, msg, {
        cause: err,
        details: {
          ...((err.details as object | undefined) ?? {}),
          attempts: claim.record.attempts,
          alertKey: input.alertKey,
        },
      });
    }
  }

  /** Sends a camera notice once per `alertKey` (no duplicate-scene check: a notice has no scene). */
  async sendNotice(input: NoticeInput): Promise<AlertOutcome> {
    const { ledger } = this.options;
    if (!input.to) throw new AppError(ErrorCode.ValidationFailed, 'the notice has no recipient', { field: 'to' });
    const claim = await ledger.claim(
      {
        alertKey: input.alertKey,
        clientKey: input.clientKey,
        cameraId: input.cameraId,
        camera: input.cameraName,
        to: input.to,
        occurredAt: input.at,
        sceneHashes: [],
      },
      this.leaseMs,
    );
    const base = { alertId: input.alertKey, to: input.to, attempts: claim.record.attempts, clipAttached: false };
    if (!claim.claimed) {
      const sent = claim.record.state === AlertLedgerState.Sent;
      return {
        ...base,
        replayed: true,
        status: sent ? AlertStatus.Delivered : AlertStatus.Suppressed,
        ...(sent ? { messageId: claim.record.messageId } : { suppressedReason: 'another send is in progress' }),
      };
    }
    const template = input.kind === 'camera_offline' ? AlertTemplate.CameraOffline : AlertTemplate.CameraOnline;
    const rendered = renderAlertEmail(
      {
        template,
        data: {
          cameraName: input.cameraName,
          at: input.at,
          outageStartedAt: input.outageStartedAt ?? new Date(input.at.getTime() - input.seconds * 1000),
          seconds: input.seconds,
          clientName: input.clientName,
          timeZone: input.timeZone,
        },
      },
      input.language,
    );
    try {
      const result = await this.holding(input.alertKey, claim.record.attempts, () =>
        this.options.mailer.send(
          this.mailOf('notice', input, rendered, { headers: { 'X-Vigint-Notice': input.kind } }),
        ),
      );
      await ledger.markSent(input.alertKey, { messageId: result.messageId, sentAt: new Date() });
      return { ...base, replayed: false, status: AlertStatus.Delivered, messageId: result.messageId };
    } catch (err) {
      await ledger.markFailed(input.alertKey, err instanceof Error ? err.message : String(err)).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Runs `work` under claim number `attempt`, renewing its lease every third of it: a live sender keeps its
   * claim however slow the SMTP server is (its socket timeouts bound that), a dead one loses it within one lease.
   */
  private async holding<T>(alertKey: string, attempt: number, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(
      () => {
        this.options.ledger
          .renew(alertKey, attempt, this.leaseMs)
          .then((held) => {
            if (!held) this.log.warn({ alertKey }, 'alert claim lost while sending');
          })
          .catch((err: unknown) =>
            this.log.warn({ alertKey, err: (err as Error).message }, 'could not renew the alert claim'),
          );
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Every alert is checked: with frames, the same scene (perceptual hashes) on the same camera within the
   * cooldown; without any frame, nothing tells two scenes apart, so another frameless alert of the same
   * camera within the cooldown is the duplicate (one e-mail per camera and cooldown, not one per request).
   */
  private async findDuplicate(input: AlertInput, hashes: string[]): Promise<AlertRecord | undefined> {
    if (this.cooldownMs <= 0) return undefined;
    const since = new Date(input.occurredAt.getTime() - this.cooldownMs);
    const recent = await this.options.ledger.findRecent(input.clientKey, input.cameraId, since);
    return recent.find(
      (r) =>
        r.alertKey !== input.alertKey &&
        r.occurredAt.getTime() <= input.occurredAt.getTime() + this.cooldownMs &&
        (hashes.length === 0
          ? r.sceneHashes.length === 0
          : r.sceneHashes.some((a) => hashes.some((b) => hammingDistance(a, b) <= this.sceneDistance))),
    );
  }

  private async compose(input: AlertInput) {
    const attachments: MailAttachment[] = [];
    let thumbnailCid: string | undefined;
    const thumbSource = input.frames[Math.floor(input.frames.length / 2)];
    if (thumbSource) {
      attachments.push({
        filename: 'thumbnail.jpg',
        content: await this.options.image.thumbnail(thumbSource, { width: 480 }),
        cid: THUMBNAIL_CID,
        contentType: 'image/jpeg',
      });
      thumbnailCid = THUMBNAIL_CID;
    }
    let clipAttached = false;
    let clipTooLarge = false;
    if (input.clip) {
      const size =
        input.clip.sizeBytes ?? input.clip.data?.length ?? (input.clip.path ? (await stat(input.clip.path)).size : 0);
      if (size > 0 && size <= this.maxClipBytes) {
        attachments.push({
          filename: input.clip.filename ?? 'incident.mp4',
          contentType: input.clip.contentType ?? 'video/mp4',
          ...(input.clip.data ? { content: input.clip.data } : { path: input.clip.path }),
        });
        clipAttached = true;
      } else {
        clipTooLarge = size > this.maxClipBytes;
      }
    }
    clipTooLarge ||= input.clipTooLarge === true;
    const rendered = renderAlertEmail(
      {
        template: AlertTemplate.Incident,
        data: {
          cameraName: input.cameraName,
          incidentType: input.incidentType,
          riskLevel: input.riskLevel,
          occurredAt: input.occurredAt,
          analysis: input.analysis,
          detailedAnalysis: input.detailedAnalysis,
          clientName: input.clientName,
          thumbnailCid,
          clipAttached,
          clipTooLarge,
          clipFailed: input.clipFailed,
          confirmUnanswered: input.confirmUnanswered,
          videoLink: input.videoLink,
          actionLinks: input.actionLinks,
          timeZone: input.timeZone,
        },
      },
      input.language,
    );
    return { clipAttached, message: this.mailOf('alert', input, rendered, { attachments }) };
  }

  /**
   * The e-mail for one ledger key. Message-ID and X-Vigint-Alert-Id derive from the key: should a send ever be
   * repeated, mail clients thread it as the same message.
   */
  private mailOf(
    kind: 'alert' | 'notice',
    input: { alertKey: string; to: string },
    rendered: RenderedMail,
    extra: Pick<MailMessage, 'attachments'> & { headers?: Record<string, string> } = {},
  ): MailMessage {
    const safeKey = input.alertKey.replace(/[^A-Za-z0-9._-]/g, '_');
    return {
      from: this.options.from,
      to: input.to,
      ...rendered,
      ...(extra.attachments ? { attachments: extra.attachments } : {}),
      messageId: `<${kind}-${safeKey}@vigint>`,
      headers: { ...extra.headers, 'X-Vigint-Alert-Id': safeKey },
    };
  }

  private base(input: AlertInput, attempts: number, clipAttached: boolean) {
    return {
      alertId: input.alertKey,
      to: input.to,
      attempts,
      clipAttached,
      replayed: false,
      ...(input.videoLink
        ? { videoUrl: input.videoLink.url, videoExpiresAt: input.videoLink.expiresAt.toISOString() }
        : {}),
    };
  }

  private outcomeFromRecord(input: AlertInput, record: AlertRecord): AlertOutcome {
    const base = { ...this.base(input, record.attempts, false), replayed: true };
    switch (record.state) {
      case AlertLedgerState.Sent:
        return { ...base, status: AlertStatus.Delivered, messageId: record.messageId };
      case AlertLedgerState.Suppressed:
        return {
          ...base,
          status: AlertStatus.Suppressed,
          suppressedReason: record.reason,
          duplicateOf: record.duplicateOf,
        };
      default:
        // Another sender holds a live claim on this key: it will deliver (or release the claim on failure).
        return {
          ...base,
          status: AlertStatus.Suppressed,
          suppressedReason: 'another send of this alert is in progress',
        };
    }
  }
}
