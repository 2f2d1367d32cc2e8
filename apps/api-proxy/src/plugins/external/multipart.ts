import fp from 'fastify-plugin';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';

/**
 * multipart/form-data for frames and videos, streamed part by part. These limits are busboy's backstop;
 * the total and per-frame limits are counted in services/multipart-body.ts.
 */
export default fp(
  async (app: FastifyInstance) => {
    const limit = Math.floor(app.config.BODY_LIMIT_MB * 1024 * 1024);
    await app.register(multipart, {
      limits: { fileSize: limit, files: 300, fields: 30, fieldSize: 1024 * 1024, parts: 330 },
      throwFileSizeLimit: true,
    });
  },
  { name: 'multipart', dependencies: ['services'] },
);
