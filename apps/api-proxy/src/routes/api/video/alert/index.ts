import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AlertBody,
  AlertReply,
  AlertStatus,
  AppError,
  ErrorReplies,
  ErrorCode,
  IncidentType,
  JobAccepted,
  JobName,
  RiskLevel,
  parseRiskLevel,
  type AlertSendResult,
} from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import { tenantOf } from '../../../../plugins/app/auth';
import { runJob, sendAccepted } from '../../../../services/job-runner';
import { jsonBody, jsonBodyOf } from '../../../../services/json-or-multipart';
import { decodeBase64, displayFilename } from '../../../../services/media-intake';
import { storeFrames, storeVideo } from '../../../../services/media-store';
import { readMultipart } from '../../../../services/multipart-body';
import { languageOf } from '../../../../services/replies';
import { publicBase, videoLink } from '../../../../services/video-links';

const INCIDENT_TYPES = new Set<string>(Object.values(IncidentType));

/** The agent's event start when it is a plausible past time (an outbox may replay it days later), else now. */
function eventTime(given: string | null | undefined): string {
  const now = Date.now();
  const at = given ? Date.parse(given) : NaN;
  if (!Number.isFinite(at) || at > now + 5 * 60_000 || at < now - 7 * 86_400_000) {
    if (given)
      throw new AppError(ErrorCode.ValidationFailed, 'occurred_at must be a past date-time within 7 days', {
        field: 'occurred_at',
      });
    return new Date(now).toISOString();
  }
  return new Date(at).toISOString();
}

/**
 * `POST /api/video/alert`: e-mail to the client's address with the clip (`video_data`, else the last upload,
 * `use_server_buffer`) and a private link. 200 when delivered (or suppressed as a duplicate); 207 with
 * `success: false` and `status: "queued"` when not out within the wait bound (the job keeps retrying).
 */
const alert: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/alert',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(AlertBody),
        response: { 200: AlertReply, 202: JobAccepted, 207: AlertReply, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      let b: AlertBody;
      let videoArtifactId: string | undefined;
      let snapshot: Buffer | undefined;
      if (req.isMultipart()) {
        const mp = await readMultipart(req, ['video', 'video_data']);
        try {
          const f = mp.fields;
          b = {
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
          snapshot = mp.files.find((x) => x.field === 'snapshot')?.data;
          const file = mp.files.find((x) => x.field === 'video' || x.field === 'video_data');
          if (file?.open) {
            const filename = displayFilename(f.video_filename ?? file.filename, 'video_filename', 'incident.mp4');
            videoArtifactId = (await storeVideo(app, t, file.open(), { filename, kind: 'alert', field: 'video' }))
              .artifact.id;
          }
        } finally {
          await mp.cleanup();
        }
      } else {
        b = jsonBodyOf(req, AlertBody);
        if (b.snapshot) snapshot = decodeBase64(b.snapshot, 'snapshot');
        if (b.video_data) {
          const filename = displayFilename(b.video_filename, 'video_filename', 'incident.mp4');
          const stored = await storeVideo(app, t, decodeBase64(b.video_data, 'video_data'), {
            filename,
            kind: 'alert',
            field: 'video_data',
          });
          videoArtifactId = stored.artifact.id;
        } else if (b.video_filename) {
          displayFilename(b.video_filename, 'video_filename', 'incident.mp4');
        }
      }

      const risk = b.risk_level == null ? RiskLevel.High : parseRiskLevel(b.risk_level);
      if (!risk)
        throw new AppError(ErrorCode.ValidationFailed, 'risk_level must be one of NONE, LOW, MEDIUM, HIGH, CRITICAL', {
          field: 'risk_level',
        });
      const it = (b.incident_type ?? '')
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_');
      const incidentType = INCIDENT_TYPES.has(it) ? (it as IncidentType) : IncidentType.Other;
      // `client_id` names the camera (its id when Vigint's agent sends `camera_name` too).
      const cameraId = (b.client_id ?? '').trim() || 'camera';
      const cameraName = (b.camera_name ?? '').trim() || cameraId;
      const analysis = (b.analysis ?? '').trim() || 'Security incident detected';

      let frameBlobKeys: string[] = [];
      // The agent's snapshot is the alert's frame, as in local mode (thumbnail, duplicate-scene hash).
      if (snapshot) frameBlobKeys = await storeFrames(app, t.clientId, [{ data: snapshot, field: 'snapshot' }]);
      else if (b.use_server_buffer !== false) {
        const [upload, src] = await Promise.all([
          app.svc.state.getLastUpload(t.clientId),
          app.svc.state.getSource(t.clientId, DEFAULT_SOURCE),
        ]);
        const uploadNewer = upload && (!src?.updatedAt || upload.uploadedAt >= src.updatedAt);
        if (!videoArtifactId && upload) videoArtifactId = upload.artifactId;
        frameBlobKeys =
          uploadNewer && upload.frameBlobKeys?.length
            ? upload.frameBlobKeys.slice(-6)
            : await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, 6);
      }

      const idem = req.headers['idempotency-key'];
      const alertKey =
        typeof idem === 'string' && /^[A-Za-z0-9_-]{8,100}$/.test(idem) ? `${t.clientId}-${idem}` : randomUUID();
      const occurredAt = eventTime(b.occurred_at);
      // The worker signs the e-mail's link with the same base and expiry: reply and e-mail carry one link.
      const link = videoArtifactId ? videoLink(app, req, videoArtifactId) : null;
      if (videoArtifactId) {
        await app.svc.state.setVideoMeta(
          videoArtifactId,
          { analysis, riskLevel: risk, incidentType, cameraName, occurredAt },
          app.config.VIDEO_LINK_TTL_HOURS * 3600,
        );
      }

      const base = {
        to: t.clientEmail ?? app.config.EMAIL_TO ?? '',
        client_name: t.clientName,
        risk_level: risk,
        incident_summary: analysis.length > 300 ? `${analysis.slice(0, 297)}...` : analysis,
        video_link: {
          available: Boolean(link),
          video_url: link?.url ?? null,
          video_id: videoArtifactId ?? null,
          expiration_time: link?.expiresAt.toISOString() ?? null,
        },
      };

      let outcome;
      try {
        outcome = await runJob(app, req, JobName.AlertSend, {
          clientId: t.clientId,
          apiKeyId: t.apiKeyId,
          alertKey: alertKey.replace(/[^A-Za-z0-9_-]/g, '_'),
          cameraName,
          cameraId,
          ...(typeof idem === 'string' && /^[A-Za-z0-9_-]{8,100}$/.test(idem) ? { incidentKey: idem } : {}),
          ...(b.clip_error ? { clipFailed: true } : {}),
          ...(link ? { linkBaseUrl: publicBase(app, req), linkExpiresAt: link.expiresAt.toISOString() } : {}),
          riskLevel: risk,
          incidentType,
          analysis,
          ...(b.detailed_analysis ? { detailedAnalysis: b.detailed_analysis } : {}),
          ...(videoArtifactId ? { videoArtifactId } : {}),
          frameBlobKeys,
          language: languageOf(t, b.language),
          occurredAt,
          ...(b.notice
            ? {
                notice: {
                  kind: b.notice,
                  seconds: b.notice_seconds ?? 0,
                  ...(b.outage_started_at ? { outageStartedAt: eventTime(b.outage_started_at) } : {}),
                },
              }
            : {}),
        });
      } catch (err) {
        if (err instanceof AppError && !err.permanent && err.code !== ErrorCode.DependencyUnavailable) {
          return reply.code(207).send({
            ...base,
            success: false,
            status: AlertStatus.Failed,
            error: err.message,
            alert_id: null,
            email_delivery: { success: false, attempts: 0 },
          });
        }
        throw err;
      }
      if (outcome.kind === 'accepted') return sendAccepted(reply, outcome.jobId);
      if (outcome.kind === 'pending') {
        return reply.code(207).send({
          ...base,
          success: false,
          status: AlertStatus.Queued,
          error: 'e-mail not delivered yet; it keeps retrying',
          alert_id: null,
          job_id: outcome.jobId,
          email_delivery: { success: false, attempts: 0 },
        });
      }
      const r: AlertSendResult = outcome.result;
      const ok = r.status === AlertStatus.Delivered || r.status === AlertStatus.Suppressed;
      // Alerts sent are counted once, by the worker that sent the e-mail (also for `Prefer: respond-async`).
      return reply.code(ok ? 200 : 207).send({
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
      });
    },
  );
};

export default alert;
