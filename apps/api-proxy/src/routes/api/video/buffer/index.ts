import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BufferBatchBody, BufferBatchReply, BufferFrameBody, BufferFrameReply, ErrorReplies } from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import { oneFrameBodyLimit } from '../../../../config';
import { tenantOf } from '../../../../plugins/app/auth';
import { readOneFrame } from '../../../../services/frame-intake';
import { jsonBody } from '../../../../services/json-or-multipart';
import { decodeBase64 } from '../../../../services/media-intake';
import { storeFrames } from '../../../../services/media-store';

/** Frames into the client's default buffer (Redis, TTL): `/api/video/buffer` and `/api/video/buffer/batch`. */
const buffer: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/buffer',
    {
      bodyLimit: oneFrameBodyLimit(app.config),
      schema: {
        tags: ['buffer'],
        body: jsonBody(BufferFrameBody),
        response: { 200: BufferFrameReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const one = await readOneFrame(req, BufferFrameBody);
      const [key] = await storeFrames(app, t.clientId, [{ data: one.data, field: 'frame_data' }]);
      const size = await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, [key!], { frameCount: one.frameCount });
      const src = await app.svc.state.getSource(t.clientId, DEFAULT_SOURCE);
      return {
        status: 'buffered',
        success: true,
        frame_count: one.frameCount ?? src?.frameCount ?? size,
        buffer_size: size,
        timestamp: one.timestamp ?? new Date().toISOString(),
      };
    },
  );

  app.post(
    '/api/video/buffer/batch',
    { schema: { tags: ['buffer'], body: BufferBatchBody, response: { 200: BufferBatchReply, ...ErrorReplies } } },
    async (req) => {
      const t = tenantOf(req);
      const frames = req.body.frames.map((f, i) => ({
        data: decodeBase64(f.frame_data, `frames.${i}.frame_data`),
        field: `frames.${i}.frame_data`,
      }));
      const keys = await storeFrames(app, t.clientId, frames);
      const size = await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, keys);
      return { status: 'buffered', success: true, frames_added: keys.length, buffer_size: size };
    },
  );
};

export default buffer;
