import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  CompressBody,
  CompressReply,
  ErrorCode,
  ErrorReplies,
  JobAccepted,
  JobName,
} from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { runJob, sendAccepted } from '../../../../services/job-runner';
import { jsonBody, jsonBodyOf } from '../../../../services/json-or-multipart';
import { decodeBase64, displayFilename } from '../../../../services/media-intake';
import { storeVideo, type StoredVideo } from '../../../../services/media-store';
import { numberField, readMultipart } from '../../../../services/multipart-body';
import { compressReply } from '../../../../services/replies';

/** `POST /api/video/compress`: fits a video under `max_size_mb` (default 20), duration kept. */
const compress: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/compress',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(CompressBody),
        response: { 200: CompressReply, 202: JobAccepted, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      let stored: StoredVideo;
      let filename: string;
      let maxMb: number | undefined;
      let quality: number | undefined;
      if (req.isMultipart()) {
        const mp = await readMultipart(req, ['video', 'video_data']);
        try {
          maxMb = numberField(mp.fields, 'max_size_mb');
          quality = numberField(mp.fields, 'quality_reduction');
          const file = mp.files.find((f) => f.field === 'video' || f.field === 'video_data');
          if (!file?.open) throw new AppError(ErrorCode.ValidationFailed, 'video is required', { field: 'video' });
          filename = displayFilename(mp.fields.filename ?? file.filename, 'filename', 'video.mp4', 'mp4');
          stored = await storeVideo(app, t, file.open(), { filename, kind: 'input', field: 'video', ttlHours: 2 });
        } finally {
          await mp.cleanup();
        }
      } else {
        const b = jsonBodyOf(req, CompressBody);
        maxMb = b.max_size_mb ?? undefined;
        quality = b.quality_reduction ?? undefined;
        filename = displayFilename(b.filename, 'filename', 'video.mp4', 'mp4');
        stored = await storeVideo(app, t, decodeBase64(b.video_data, 'video_data'), {
          filename,
          kind: 'input',
          field: 'video_data',
          ttlHours: 2,
        });
      }
      const max = maxMb ?? 20;
      if (!(max > 0) || max > 500)
        throw new AppError(ErrorCode.ValidationFailed, 'max_size_mb must be > 0 and ≤ 500', { field: 'max_size_mb' });
      const q = quality ?? 0.85;
      if (!(q > 0) || q > 1)
        throw new AppError(ErrorCode.ValidationFailed, 'quality_reduction must be in (0, 1]', {
          field: 'quality_reduction',
        });
      const out = await runJob(app, req, JobName.VideoCompress, {
        clientId: t.clientId,
        apiKeyId: t.apiKeyId,
        videoArtifactId: stored.artifact.id,
        maxSizeBytes: Math.max(10_000, Math.floor(max * 1024 * 1024)),
        qualityReduction: q,
        outputName: filename,
      });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
      if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
      return compressReply(app, t, out.result, out.jobId);
    },
  );
};

export default compress;
