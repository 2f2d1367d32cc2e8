import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorReplies, ErrorCode, VideoUploadBody, VideoUploadReply } from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { jsonBody, jsonBodyOf } from '../../../../services/json-or-multipart';
import { decodeBase64, displayFilename } from '../../../../services/media-intake';
import { storeVideo } from '../../../../services/media-store';
import { readMultipart } from '../../../../services/multipart-body';

/** Stills sampled from an upload for analyze (the long buffer takes them all, the short one the last few). */
const SAMPLES = 24;

/** `POST /api/video/upload`: the client's last video (artifact store + Redis pointer), for analyze and alert. */
const upload: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/upload',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(VideoUploadBody),
        response: { 200: VideoUploadReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      let stored;
      let filename: string;
      if (req.isMultipart()) {
        const mp = await readMultipart(req, ['video', 'video_data']);
        try {
          const file = mp.files.find((f) => f.field === 'video' || f.field === 'video_data');
          if (!file?.open) throw new AppError(ErrorCode.ValidationFailed, 'video is required', { field: 'video' });
          filename = displayFilename(mp.fields.video_filename ?? file.filename, 'video_filename', 'video.mp4');
          stored = await storeVideo(app, t, file.open(), {
            filename,
            kind: 'upload',
            field: 'video',
            sampleFrames: SAMPLES,
          });
        } finally {
          await mp.cleanup();
        }
      } else {
        const b = jsonBodyOf(req, VideoUploadBody);
        filename = displayFilename(b.video_filename, 'video_filename', 'video.mp4');
        stored = await storeVideo(app, t, decodeBase64(b.video_data, 'video_data'), {
          filename,
          kind: 'upload',
          field: 'video_data',
          sampleFrames: SAMPLES,
        });
      }
      const uploadedAt = new Date().toISOString();
      await app.svc.state.setLastUpload(t.clientId, {
        artifactId: stored.artifact.id,
        filename,
        sizeBytes: stored.artifact.bytes,
        durationSeconds: stored.durationSeconds,
        frameCount: stored.frameCount,
        frameBlobKeys: stored.frameBlobKeys,
        uploadedAt,
      });
      return {
        status: 'uploaded',
        success: true,
        video_id: stored.artifact.id,
        video_filename: filename,
        video_size_mb: Math.round((stored.artifact.bytes / 1048576) * 1000) / 1000,
        size_bytes: stored.artifact.bytes,
        frame_count: stored.frameCount,
        duration: stored.durationSeconds,
        duration_seconds: stored.durationSeconds,
        ready_for_analysis: true,
      };
    },
  );
};

export default upload;
