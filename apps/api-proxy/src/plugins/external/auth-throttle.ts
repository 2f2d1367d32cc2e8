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
 * Throttles key guessing. The per-key limit (rate-limit.ts) runs after authentication and is keyed by the
 * key presented, so someone trying random keys gets a fresh budget with each key and only ever sees 401.
 * Here every refused API or admin key counts against the caller's IP, in Redis through
 * @fastify/rate-limit's `createRateLimit` (same store, same fixed window, so it holds across gateway
 * instances). Past AUTH_FAIL_MAX failures in AUTH_FAIL_WINDOW_MS the IP is blocked until that window ends:
 * every authenticated route answers 429 with Retry-After, valid keys included — the safer default, since
 * a guesser that finds a key must not be able to use it at once, and a legitimate site behind the same
 * address waits at most one window. The block is a Redis key with the window's remaining TTL, read
 * (PTTL) before each key check. When Redis is down the throttle is skipped, like the per-key limit: the
 * routes themselves answer 503.
 */
export default fp(
  async (app: FastifyInstance) => {
    const max = app.config.AUTH_FAIL_MAX;
    const blockPrefix = `${app.config.QUEUE_PREFIX}:authblock:`;
    const count = app.createRateLimit({
      max,
      timeWindow: app.config.AUTH_FAIL_WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => `authfail:${req.ip}`,
      // The global allowList (health, docs) is about routes; every refused key counts here.
      allowList: () => false,
    });
    const tooMany = (reply: FastifyReply | undefined, retryAfterSec: number): AppError => {
      reply?.header('retry-after', String(Math.max(1, retryAfterSec)));
      return new AppError(
        ErrorCode.RateLimited,
        `too many failed authentications from this address: retry in ${Math.max(1, retryAfterSec)} s`,
      );
    };

    app.decorate('authThrottle', {
      async gate(req, reply) {
        let ttlMs: number;
        try {
          ttlMs = await app.svc.redis.pttl(blockPrefix + req.ip);
        } catch {
          return;
        }
        if (ttlMs > 0) throw tooMany(reply, Math.ceil(ttlMs / 1000));
      },
      async failed(req, reply) {
        let r: Awaited<ReturnType<typeof count>>;
        try {
          r = await count(req);
        } catch {
          return;
        }
        if (r.isAllowed || !r.isExceeded) return;
        if (r.ttl > 0) {
          await app.svc.redis.set(blockPrefix + req.ip, '1', 'PX', r.ttl).catch(() => undefined);
        }
        req.log.warn({ ip: req.ip, max }, 'failed-authentication budget exceeded: address blocked for the window');
        throw tooMany(reply, r.ttlInSeconds);
      },
    } satisfies AuthThrottle);
  },
  { name: 'auth-throttle', dependencies: ['services', 'rate-limit'] },
);
