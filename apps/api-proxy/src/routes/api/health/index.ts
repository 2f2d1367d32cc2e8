import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthReply } from '@vigint/contracts';
import { checkDependency as check } from '../../../services/dependency-check';

const started = Date.now();

/** Liveness: `GET /api/health` (no auth, earlier shape); readiness is `/api/ready`. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/health', { schema: { tags: ['health'], response: { 200: HealthReply } } }, async () => {
    const [redis, postgres] = await Promise.all([check(() => app.svc.queue.ping()), check(() => app.svc.repo.ping())]);
    return {
      status: 'healthy',
      timestamp: Math.floor(Date.now() / 1000),
      services: { api: 'ok', redis, postgres, uptime_seconds: String(Math.round((Date.now() - started) / 1000)) },
    };
  });
};

export default health;
