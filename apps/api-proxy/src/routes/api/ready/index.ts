import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ReadyReply } from '@vigint/contracts';
import { checkDependency as check } from '../../../services/dependency-check';

/** Readiness: `GET /api/ready`, 503 while Redis or PostgreSQL is unreachable (load balancers stop sending). */
const ready: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/ready',
    { schema: { tags: ['health'], response: { 200: ReadyReply, 503: ReadyReply } } },
    async (_req, reply) => {
      const [redis, postgres] = await Promise.all([
        check(() => app.svc.queue.ping()),
        check(() => app.svc.repo.ping()),
      ]);
      const ok = redis === 'ok' && postgres === 'ok';
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', services: { redis, postgres } });
    },
  );
};

export default ready;
