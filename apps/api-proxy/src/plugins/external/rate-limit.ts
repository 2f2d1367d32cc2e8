import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { extractApiKey } from '../app/auth';

/**
 * Per-key limits kept in Redis, so they hold across gateway instances. Keyed by a hash of the key (never
 * the key itself), or by IP for calls without one. When Redis is down the limit is skipped: the routes
 * themselves answer 503.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(rateLimit, {
      global: true,
      max: app.config.RATE_LIMIT_MAX,
      timeWindow: app.config.RATE_LIMIT_WINDOW_MS,
      redis: app.svc.redis,
      nameSpace: `${app.config.QUEUE_PREFIX}:ratelimit:`,
      skipOnError: true,
      keyGenerator: (req: FastifyRequest) => {
        const key = extractApiKey(req);
        return key ? `k:${createHash('sha256').update(key).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
      },
      allowList: (req: FastifyRequest) => {
        const url = req.url.split('?')[0] ?? '';
        return url === '/api/health' || url === '/api/ready' || url === '/metrics' || url.startsWith('/docs');
      },
      // Thrown by the plugin after it set Retry-After; the error handler turns it into our flat body.
      errorResponseBuilder: (_req, ctx) =>
        new AppError(
          ErrorCode.RateLimited,
          `rate limit exceeded: ${ctx.max} requests per ${ctx.after}`,
        ) as unknown as object,
    });
  },
  { name: 'rate-limit', dependencies: ['services'] },
);
