import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook of the limited scopes (routes/index.ts): RATE_LIMIT_MAX requests per
     * RATE_LIMIT_WINDOW_MS per resolved client (after `authenticate`), else per IP.
     */
    rateLimit: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

/**
 * Request rate limit in Redis (LimitStore), so it holds across gateway instances. The bucket is the
 * client the key resolved to, never the key as presented: a caller trying random keys never reaches
 * this hook (authentication refuses first and counts the failure per IP in auth-throttle.ts). Calls
 * without a client (private link pages, admin) are counted per IP. When Redis is down the limit is
 * skipped: the routes themselves answer 503.
 */
async function rateLimit(app: FastifyInstance): Promise<void> {
  const max = app.config.RATE_LIMIT_MAX;
  const windowMs = app.config.RATE_LIMIT_WINDOW_MS;
  app.decorate('rateLimit', async (req: FastifyRequest, reply: FastifyReply) => {
    const bucket = req.tenant ? `rate:c:${req.tenant.clientId}` : `rate:ip:${req.ip}`;
    let hit;
    try {
      hit = await app.svc.limits.hit(bucket, max, windowMs);
    } catch {
      return;
    }
    const resetSec = Math.max(1, Math.ceil(hit.resetMs / 1000));
    void reply
      .header('x-ratelimit-limit', String(max))
      .header('x-ratelimit-remaining', String(Math.max(0, max - hit.count)))
      .header('x-ratelimit-reset', String(resetSec));
    if (hit.allowed) return;
    void reply.header('retry-after', String(resetSec));
    throw new AppError(
      ErrorCode.RateLimited,
      `rate limit exceeded: ${max} requests per ${Math.round(windowMs / 1000)} s; retry in ${resetSec} s`,
    );
  });
}

export default fp(rateLimit, { name: 'rate-limit', dependencies: ['services'] });
