import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DeliveryPolicy } from '@vigint/alerting';
import {
  AlertStatus,
  AppError,
  ErrorCode,
  JobName,
  type AlertSendPayload,
  type AlertSendResult,
} from '@vigint/contracts';
import { AlertRowState, type Db } from '@vigint/db';
import type { BlobStore, JobContext, JobHandler } from '@vigint/queue';
import type { ArtifactStore } from '@vigint/storage';

export interface AlertDeps {
  /** The delivery policy shared with local mode (clip budget, link, incident log). */
  policy: Pick<DeliveryPolicy, 'deliverIncident' | 'deliverNotice'>;
  blobs: Pick<BlobStore, 'get'>;
  store: Pick<ArtifactStore, 'get'>;
  db: Pick<Db, 'clients' | 'artifacts' | 'usage' | 'alerts'>;
  /** EMAIL_TO: the recipient when the client has no e-mail of its own. */
  fallbackTo?: string;
}

/** The ledger key: alert keys are the client's own, so two clients' keys never meet. */
export function ledgerKey(clientId: string, alertKey: string): string {
  return `${clientId}:${alertKey}`;
}

/** E-mail alerts through AlertService (idempotent per key, duplicate scenes suppressed). */
export class AlertProcessor {
  constructor(private readonly deps: AlertDeps) {}

  handlers(): { [JobName.AlertSend]: JobHandler<JobName.AlertSend> } {
    return { [JobName.AlertSend]: (data, ctx) => this.send(data, ctx) };
  }

  async send(data: AlertSendPayload, ctx: JobContext): Promise<AlertSendResult> {
    const { db } = this.deps;
    const client = await db.clients.findById(data.clientId);
    const to = client?.email || this.deps.fallbackTo;
    if (!to) throw new AppError(ErrorCode.BadRequest, 'no recipient: the client has no e-mail and EMAIL_TO is unset');
    const key = ledgerKey(data.clientId, data.alertKey);
    if (data.notice) {
      // Camera offline / online: the same templates as local mode, in the camera's language.
      const n = data.notice;
      const outcome = await this.deps.policy.deliverNotice({
        alertKey: key,
        clientKey: data.clientId,
        to,
        clientName: client?.name,
        kind: n.kind,
        cameraId: data.cameraId ?? data.cameraName,
        cameraName: data.cameraName,
        at: new Date(data.occurredAt),
        ...(n.outageStartedAt ? { outageStartedAt: new Date(n.outageStartedAt) } : {}),
        seconds: n.seconds,
        language: data.language,
      });
      ctx.log.info({ status: outcome.status, replayed: outcome.replayed, notice: n.kind }, 'notice handled');
      return {
        alertId: data.alertKey,
        status: outcome.status,
        to: outcome.to,
        attempts: outcome.attempts,
        clipAttached: false,
        ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
      };
    }
    const frames = await this.frames(data.frameBlobKeys, ctx);

    const dir = await mkdtemp(join(tmpdir(), 'vigint-alert-'));
    try {
      let clip: { path: string; filename: string } | undefined;
      let videoId: string | undefined;
      if (data.videoArtifactId) {
        const video = await db.artifacts.findForClient(data.clientId, data.videoArtifactId);
        if (video) {
          const path = join(dir, 'clip.mp4');
          await pipeline(await this.deps.store.get(video.storageKey), createWriteStream(path));
          clip = { path, filename: video.filename ?? 'incident.mp4' };
          videoId = video.id;
        } else {
          ctx.log.warn({ videoArtifactId: data.videoArtifactId }, 'alert video not found (expired?): sent without it');
        }
      }

      const outcome = await this.deps.policy.deliverIncident({
        tenant: data.clientId,
        incidentKey: data.incidentKey ?? data.alertKey,
        alertKey: key,
        clientKey: data.clientId,
        to,
        clientName: client?.name,
        cameraId: data.cameraId ?? data.cameraName,
        cameraName: data.cameraName,
        riskLevel: data.riskLevel,
        incidentType: data.incidentType,
        analysis: data.analysis,
        detailedAnalysis: data.detailedAnalysis,
        language: data.language,
        occurredAt: new Date(data.occurredAt),
        frames,
        clip,
        ...(data.clipFailed && !clip ? { clipError: 'the clip could not be cut' } : {}),
        videoId,
        ...(data.linkExpiresAt ? { linkExpiresAt: new Date(data.linkExpiresAt) } : {}),
        ...(data.linkBaseUrl ? { linkBaseUrl: data.linkBaseUrl } : {}),
      });
      const videoLink =
        outcome.videoUrl && outcome.videoExpiresAt
          ? { url: outcome.videoUrl, expiresAt: new Date(outcome.videoExpiresAt) }
          : undefined;

      if (outcome.replayed && outcome.status === AlertStatus.Suppressed && !outcome.duplicateOf) {
        // Another sender holds the claim (or died holding it): retry later instead of dropping the alert.
        const row = await db.alerts.findByIdempotencyKey(key);
        if (row?.status === AlertRowState.Sending) {
          throw new AppError(ErrorCode.Conflict, 'alert send in progress elsewhere; retrying after its claim ends');
        }
      }
      if (outcome.status === AlertStatus.Delivered && !outcome.replayed && data.apiKeyId) {
        await db.usage.addDaily(data.apiKeyId, 'video/alert', { alertsSent: 1 });
      }
      ctx.log.info(
        { status: outcome.status, replayed: outcome.replayed, clipAttached: outcome.clipAttached },
        'alert handled',
      );
      const result: AlertSendResult = {
        alertId: data.alertKey,
        status: outcome.status,
        to: outcome.to,
        attempts: outcome.attempts,
        clipAttached: outcome.clipAttached,
      };
      if (outcome.messageId) result.messageId = outcome.messageId;
      if (outcome.suppressedReason) result.suppressedReason = outcome.suppressedReason;
      if (videoId && videoLink) {
        result.videoId = videoId;
        result.videoUrl = videoLink.url;
        result.videoExpiresAt = videoLink.expiresAt.toISOString();
      }
      return result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Frames may have expired from Redis by a late retry: the alert still goes, without thumbnail. */
  private async frames(keys: string[], ctx: JobContext): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const key of keys) {
      try {
        out.push(await this.deps.blobs.get(key));
      } catch (err) {
        if ((err as AppError).code !== ErrorCode.NotFound) throw err;
        ctx.log.warn('alert frame expired; sending without it');
      }
    }
    return out;
  }
}
