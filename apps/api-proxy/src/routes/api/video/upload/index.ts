import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorReplies, VideoUploadBody, VideoUploadReply } from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { jsonBody } from '../../../../services/json-or-multipart';
import { readVideoUpload } from '../../../../services/video-upload';

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
      const { stored, filename } = await readVideoUpload(app, req, t, {
        kind: 'upload',
        defaultName: 'video.mp4',
        sampleFrames: SAMPLES,
      });
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
