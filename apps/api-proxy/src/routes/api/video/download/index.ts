import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorReplies, ErrorCode, IdParams } from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { sendArtifact } from '../../../../services/artifact-response';

/** `GET /api/video/download/:id`: a video of the key's own client (others' ids → 404), audit-logged. */
const download: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/video/download/:id',
    {
      schema: {
        tags: ['video'],
        params: IdParams,
        response: { ...ErrorReplies, 416: { type: 'null' } },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const a = await app.svc.repo.findArtifact(req.params.id, t.clientId);
      if (!a) throw new AppError(ErrorCode.NotFound, 'Video not found or expired', { field: 'id' });
      await app.svc.repo.audit({
        clientId: t.clientId,
        apiKeyId: t.apiKeyId,
        action: 'video.download',
        target: a.id,
        ip: req.ip,
      });
      return sendArtifact(app, req, reply, a, 'attachment');
    },
  );
};

export default download;
