import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorCode, ErrorReplies, PrivateVideoReply } from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { displayFilename } from '../../../../services/media-intake';
import { storeVideo } from '../../../../services/media-store';
import { readMultipart } from '../../../../services/multipart-body';
import { videoLink } from '../../../../services/video-links';

/** `POST /api/v1/videos/upload` (multipart `video`): stores a clip and answers a private link (`/video/:id?token=`). */
const videos: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/videos/upload',
    {
      schema: {
        tags: ['video'],
        consumes: ['multipart/form-data'],
        response: { 200: PrivateVideoReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      if (!req.isMultipart())
        throw new AppError(ErrorCode.BadRequest, 'send multipart/form-data with a `video` file field', {
          field: 'video',
        });
      const mp = await readMultipart(req, ['video', 'file']);
      try {
        const file = mp.files.find((f) => f.field === 'video' || f.field === 'file');
        if (!file?.open) throw new AppError(ErrorCode.ValidationFailed, 'video is required', { field: 'video' });
        const filename = displayFilename(mp.fields.filename ?? file.filename, 'filename', 'video.mp4');
        const stored = await storeVideo(app, t, file.open(), {
          filename,
          kind: 'private',
          field: 'video',
          ttlHours: Math.max(app.config.VIDEO_LINK_TTL_HOURS, app.config.ARTIFACT_TTL_HOURS),
        });
        const link = videoLink(app, req, stored.artifact.id);
        return {
          success: true,
          video_id: stored.artifact.id,
          video_url: link.url,
          expiration_time: link.expiresAt.toISOString(),
          size_bytes: stored.artifact.bytes,
          filename,
        };
      } finally {
        await mp.cleanup();
      }
    },
  );
};

export default videos;
