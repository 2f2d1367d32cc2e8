import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AlertBody,
  AlertStatus,
  AppError,
  ErrorCode,
  IncidentType,
  JobName,
  RiskLevel,
  parseRiskLevel,
  type AlertReply,
  type AlertSendPayload,
  type AlertSendResult,
} from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import type { TenantRecord } from './gateway.repository';
import { JobFailure, runJob, type JobCaller } from './job-runner';
import { jsonBodyOf } from './json-or-multipart';
import { decodeBase64, displayFilename } from './media-intake';
import { storeFrames, storeVideo } from './media-store';
import { readMultipart } from './multipart-body';
import { languageOf } from './replies';
import { videoLinkFor } from '@vigint/alerting';
import { linkSecret } from './video-links';

/** One alert as the route read it: the body's fields, and where its clip and snapshot were stored. */
export interface AlertInput {
  body: AlertBody;
  videoArtifactId?: string;
  snapshot?: Buffer;
  /** The request's Idempotency-Key header, as sent. */
  idempotencyKey?: string;
}

/** What the route answers: 200/207 with the alert reply, or 202 with the job to poll. */
export type AlertAnswer =
  | { kind: 'reply'; code: 200 | 207; body: AlertReply }
  | { kind: 'accepted'; jobId: string; status: 'queued' | 'running' };

const INCIDENT_TYPES = new Set<string>(Object.values(IncidentType));
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;

/**
 * Reads `POST /api/video/alert` (JSON with base64, or multipart with the clip streamed to the store) into an
 * AlertInput. The clip is stored here because a multipart stream can be read only while the request lasts.
 */
export async function readAlertRequest(
  app: FastifyInstance,
  req: FastifyRequest,
  t: TenantRecord,
): Promise<AlertInput> {
  const idem = req.headers['idempotency-key'];
  const idempotencyKey = typeof idem === 'string' ? idem : undefined;
  if (!req.isMultipart()) {
    const body = jsonBodyOf(req, AlertBody);
    const snapshot = body.snapshot ? decodeBase64(body.snapshot, 'snapshot') : undefined;
    const filename = body.video_filename ? displayFilename(body.video_filename, 'video_filename', 'incident.mp4') : '';
    const videoArtifactId = body.video_data
      ? (
          await storeVideo(app, t, decodeBase64(body.video_data, 'video_data'), {
            filename: filename || 'incident.mp4',
            kind: 'alert',
            field: 'video_data',
          })
        ).artifact.id
      : undefined;
    return { body, videoArtifactId, snapshot, idempotencyKey };
  }
  const mp = await readMultipart(req, ['video', 'video_data']);
  try {
    const f = mp.fields;
    const body: AlertBody = {
      analysis: f.analysis ?? null,
      risk_level: f.risk_level ?? null,
      incident_type: f.incident_type ?? null,
      client_id: f.client_id ?? null,
      camera_name: f.camera_name ?? null,
      clip_error: f.clip_error ?? null,
      use_server_buffer: f.use_server_buffer === 'true' || f.use_server_buffer === '1',
      detailed_analysis: f.detailed_analysis ?? null,
      language: (f.language as AlertBody['language']) ?? null,
      occurred_at: f.occurred_at ?? null,
      notice: (f.notice as AlertBody['notice']) ?? null,
      notice_seconds: f.notice_seconds ? Number(f.notice_seconds) : null,
      outage_started_at: f.outage_started_at ?? null,
    };
    const snapshot = mp.files.find((x) => x.field === 'snapshot')?.data;
    const file = mp.files.find((x) => x.field === 'video' || x.field === 'video_data');
    let videoArtifactId: string | undefined;
    if (file?.open) {
      const filename = displayFilename(f.video_filename ?? file.filename, 'video_filename', 'incident.mp4');
      videoArtifactId = (await storeVideo(app, t, file.open(), { filename, kind: 'alert', field: 'video' })).artifact
        .id;
    }
    return { body, videoArtifactId, snapshot, idempotencyKey };
  } finally {
    await mp.cleanup();
  }
}

/**
 * The alert behind the route: checks the fields, picks the alert's frames (the agent's snapshot, else the
 * earlier API's server-side buffer), signs the private link, queues AlertSend and shapes the reply.
 */
export class AlertIntake {
  constructor(private readonly app: FastifyInstance) {}

  async send(t: TenantRecord, input: AlertInput, caller: JobCaller & { linkBase: string }): Promise<AlertAnswer> {
    const { app } = this;
    const job = this.jobOf(t, input, await this.framesOf(t, input));
    const { videoArtifactId } = job;
    // The worker signs the e-mail's link with the same base and expiry: reply and e-mail carry one link.
    const link = videoArtifactId
      ? videoLinkFor(
          { secret: linkSecret(app), baseUrl: caller.linkBase, ttlHours: app.config.VIDEO_LINK_TTL_HOURS },
          videoArtifactId,
        )
      : null;
    if (link && videoArtifactId) {
      job.linkBaseUrl = caller.linkBase;
      job.linkExpiresAt = link.expiresAt.toISOString();
      await app.svc.state.setVideoMeta(
        videoArtifactId,
        {
          analysis: job.analysis,
          riskLevel: job.riskLevel,
          incidentType: job.incidentType,
          cameraName: job.cameraName,
          occurredAt: job.occurredAt,
        },
        app.config.VIDEO_LINK_TTL_HOURS * 3600,
      );
    }
    const base = {
      to: t.clientEmail ?? app.config.EMAIL_TO ?? '',
      client_name: t.clientName,
      risk_level: job.riskLevel,
      incident_summary: job.analysis.length > 300 ? `${job.analysis.slice(0, 297)}...` : job.analysis,
      video_link: {
        available: Boolean(link),
        video_url: link?.url ?? null,
        video_id: videoArtifactId ?? null,
        expiration_time: link?.expiresAt.toISOString() ?? null,
      },
    };
    const notYet = (status: AlertStatus, error: string, jobId?: string): AlertAnswer => ({
      kind: 'reply',
      code: 207,
      body: {
        ...base,
        success: false,
        status,
        error,
        alert_id: null,
        ...(jobId ? { job_id: jobId } : {}),
        email_delivery: { success: false, attempts: 0 },
      },
    });

    let outcome;
    try {
      outcome = await runJob(app, caller, JobName.AlertSend, job);
    } catch (err) {
      // A quota (429) is the caller's to see, like a dependency outage (503).
      const own =
        err instanceof AppError && (err.code === ErrorCode.DependencyUnavailable || err.code === ErrorCode.RateLimited);
      if (err instanceof AppError && !err.permanent && !own) {
        // A job that ran and failed is named, so the caller can look it up.
        return notYet(AlertStatus.Failed, err.message, err instanceof JobFailure ? err.jobId : undefined);
      }
      throw err;
    }
    if (outcome.kind === 'accepted') return { kind: 'accepted', jobId: outcome.jobId, status: 'queued' };
    if (outcome.kind === 'pending')
      return notYet(AlertStatus.Queued, 'e-mail not delivered yet; it keeps retrying', outcome.jobId);
    const r: AlertSendResult = outcome.result;
    const ok = r.status === AlertStatus.Delivered || r.status === AlertStatus.Suppressed;
    // Alerts sent are counted once, by the worker that sent the e-mail (also for `Prefer: respond-async`).
    return {
      kind: 'reply',
      code: ok ? 200 : 207,
      body: {
        ...base,
        to: r.to || base.to,
        success: ok,
        status: r.status,
        ...(ok ? {} : { error: `alert ${r.status}` }),
        alert_id: r.alertId,
        job_id: outcome.jobId,
        video_link: r.videoUrl
          ? {
              available: true,
              video_url: r.videoUrl,
              video_id: r.videoId ?? videoArtifactId ?? null,
              expiration_time: r.videoExpiresAt ?? base.video_link.expiration_time,
            }
          : base.video_link,
        email_delivery: {
          success: r.status === AlertStatus.Delivered,
          attempts: r.attempts,
          clip_attached: r.clipAttached,
          ...(r.messageId ? { message_id: r.messageId } : {}),
          ...(r.suppressedReason ? { suppressed_reason: r.suppressedReason } : {}),
        },
      },
    };
  }

  /** The agent's snapshot is the alert's frame, as in local mode; earlier clients' frames come from their buffer. */
  private async framesOf(
    t: TenantRecord,
    input: AlertInput,
  ): Promise<{ frameBlobKeys: string[]; videoArtifactId?: string }> {
    const { app } = this;
    if (input.snapshot) {
      const frameBlobKeys = await storeFrames(app, t.clientId, [{ data: input.snapshot, field: 'snapshot' }]);
      return { frameBlobKeys, videoArtifactId: input.videoArtifactId };
    }
    if (input.body.use_server_buffer === false) return { frameBlobKeys: [], videoArtifactId: input.videoArtifactId };
    const [upload, src] = await Promise.all([
      app.svc.state.getLastUpload(t.clientId),
      app.svc.state.getSource(t.clientId, DEFAULT_SOURCE),
    ]);
    const uploadNewer = upload && (!src?.updatedAt || upload.uploadedAt >= src.updatedAt);
    const frameBlobKeys =
      uploadNewer && upload.frameBlobKeys?.length
        ? upload.frameBlobKeys.slice(-6)
        : await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, 6);
    return { frameBlobKeys, videoArtifactId: input.videoArtifactId ?? upload?.artifactId };
  }

  private jobOf(
    t: TenantRecord,
    input: AlertInput,
    frames: { frameBlobKeys: string[]; videoArtifactId?: string },
  ): AlertSendPayload {
    const b = input.body;
    const risk = b.risk_level == null ? RiskLevel.High : parseRiskLevel(b.risk_level);
    if (!risk)
      throw new AppError(ErrorCode.ValidationFailed, 'risk_level must be one of NONE, LOW, MEDIUM, HIGH, CRITICAL', {
        field: 'risk_level',
      });
    const it = (b.incident_type ?? '')
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_');
    // `client_id` names the camera (its id when Vigint's agent sends `camera_name` too).
    const cameraId = (b.client_id ?? '').trim() || 'camera';
    const idem = input.idempotencyKey && IDEMPOTENCY_KEY.test(input.idempotencyKey) ? input.idempotencyKey : undefined;
    const alertKey = idem ? `${t.clientId}-${idem}` : randomUUID();
    return {
      clientId: t.clientId,
      apiKeyId: t.apiKeyId,
      alertKey: alertKey.replace(/[^A-Za-z0-9_-]/g, '_'),
      cameraName: (b.camera_name ?? '').trim() || cameraId,
      cameraId,
      ...(idem ? { incidentKey: idem } : {}),
      ...(b.clip_error ? { clipFailed: true } : {}),
      riskLevel: risk,
      incidentType: INCIDENT_TYPES.has(it) ? (it as IncidentType) : IncidentType.Other,
      analysis: (b.analysis ?? '').trim() || 'Security incident detected',
      ...(b.detailed_analysis ? { detailedAnalysis: b.detailed_analysis } : {}),
      ...(frames.videoArtifactId ? { videoArtifactId: frames.videoArtifactId } : {}),
      frameBlobKeys: frames.frameBlobKeys,
      language: languageOf(t, b.language),
      occurredAt: eventTime(b.occurred_at, 'occurred_at'),
      ...(b.notice
        ? {
            notice: {
              kind: b.notice,
              seconds: b.notice_seconds ?? 0,
              ...(b.outage_started_at ? { outageStartedAt: eventTime(b.outage_started_at, 'outage_started_at') } : {}),
            },
          }
        : {}),
    };
  }
}

/** The agent's event time when it is a plausible past time (an outbox may replay it days later), else now. */
function eventTime(given: string | null | undefined, field: string): string {
  const now = Date.now();
  if (!given) return new Date(now).toISOString();
  const at = Date.parse(given);
  if (!Number.isFinite(at) || at > now + 5 * 60_000 || at < now - 7 * 86_400_000) {
    throw new AppError(ErrorCode.ValidationFailed, `${field} must be a past date-time within 7 days`, { field });
  }
  return new Date(at).toISOString();
}
