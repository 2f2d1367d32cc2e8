import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

/** `GET /metrics`: Prometheus text of this instance (plugins/app/metrics.ts). */
const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/metrics', { schema: { tags: ['health'], hide: true } }, async (_req, reply) => {
    reply.type(app.metrics.contentType);
    return app.metrics.metrics();
  });
};

export default metrics;
