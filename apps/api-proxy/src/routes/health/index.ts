import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorBody, ErrorCode, HealthReply, ReadyReply } from '@vigint/contracts';

const started = Date.now();

async function check(fn: () => Promise<unknown>, timeoutMs = 2_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness (`/api/health`, no auth, earlier shape), readiness (`/api/ready`) and Prometheus `/metrics`. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/health', { schema: { tags: ['health'], response: { 200: HealthReply } } }, async () => {
    const [redis, postgres] = await Promise.all([check(() => app.svc.queue.ping()), check(() => app.svc.repo.ping())]);
    return {
      status: 'healthy',
      timestamp: Math.floor(Date.now() / 1000),
      services: { api: 'ok', redis, postgres, uptime_seconds: String(Math.round((Date.now() - started) / 1000)) },
    };
  });

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

  app.get('/metrics', { schema: { tags: ['health'], hide: true } }, async (_req, reply) => {
    reply.type(app.metrics.contentType);
    return app.metrics.metrics();
  });

  const notHere = (what: string) => async () => {
    throw new AppError(
      ErrorCode.NotImplemented,
      `${what} is not available in Vigint (the earlier system proxied it to a separate service)`,
    );
  };
  const r501 = { tags: ['unsupported'], response: { 501: ErrorBody } };
  app.all('/api/rtsp', { schema: r501 }, notHere('/api/rtsp'));
  app.all('/api/rtsp/*', { schema: r501 }, notHere('/api/rtsp'));
  app.all('/api/billing', { schema: r501 }, notHere('/api/billing'));
  app.all('/api/billing/*', { schema: r501 }, notHere('/api/billing'));
};

export default health;
