import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Per-IP budget of failed authentications (see auth-throttle.ts); used by `authenticate*`. */
    authThrottle: AuthThrottle;
  }
}

export interface AuthThrottle {
  /** Before a key is checked: 429 (Retry-After) while the caller's IP is over its failure budget. */
  gate(req: FastifyRequest, reply?: FastifyReply): Promise<void>;
  /** After a key was refused: counts the failure; 429 (Retry-After) once the budget is exceeded. */
  failed(req: FastifyRequest, reply?: FastifyReply): Promise<void>;
}

/**
 * Throttles key guessing: every refused API or admin key counts against the caller's IP in a Redis
 * fixed window (LimitStore, shared by every gateway instance). Past AUTH_FAIL_MAX failures in
 * AUTH_FAIL_WINDOW_MS the IP is blocked until that window ends: every authenticated route answers 429
 * with Retry-After, valid keys included — the safer default, since a guesser that finds a key must not
 * be able to use it at once, and a legitimate site behind the same address waits at most one window.
 * When Redis is down the throttle is skipped, like the rate limit: the routes themselves answer 503.
 */
async function authThrottle(app: FastifyInstance): Promise<void> {
  const max = app.config.AUTH_FAIL_MAX;
  const windowMs = app.config.AUTH_FAIL_WINDOW_MS;
  const bucket = (req: FastifyRequest) => `authfail:${req.ip}`;
  const tooMany = (reply: FastifyReply | undefined, retryAfterMs: number): AppError => {
    const sec = Math.max(1, Math.ceil(retryAfterMs / 1000));
    reply?.header('retry-after', String(sec));
    return new AppError(ErrorCode.RateLimited, `too many failed authentications from this address: retry in ${sec} s`);
  };

  app.decorate('authThrottle', {
    async gate(req, reply) {
      let ms: number;
      try {
        ms = await app.svc.limits.blockedMs(bucket(req));
      } catch {
        return;
      }
      if (ms > 0) throw tooMany(reply, ms);
    },
    async failed(req, reply) {
      let hit;
      try {
        hit = await app.svc.limits.hit(bucket(req), max, windowMs);
        if (hit.allowed) return;
        await app.svc.limits.block(bucket(req), hit.resetMs);
      } catch {
        return;
      }
      req.log.warn({ ip: req.ip, max }, 'failed-authentication budget exceeded: address blocked for the window');
      throw tooMany(reply, hit.resetMs);
    },
  } satisfies AuthThrottle);
}

export default fp(authThrottle, { name: 'auth-throttle', dependencies: ['services'] });
