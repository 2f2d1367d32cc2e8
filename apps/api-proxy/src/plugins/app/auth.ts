import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import type { TenantRecord } from '../../services/gateway.repository';
import { ApiKeyCache } from '../../services/api-key.cache';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: TenantRecord | null;
  }
  interface FastifyInstance {
    /**
     * onRequest/preHandler hook: resolves the API key to its tenant or answers 401; 429 while the caller's
     * IP is over its failed-authentication budget (auth-throttle.ts).
     */
    authenticate: (req: FastifyRequest, reply?: FastifyReply) => Promise<void>;
    /**
     * onRequest hook of the admin scope: `X-Admin-Key` must equal ADMIN_KEY (403 while ADMIN_KEY is unset);
     * throttled like `authenticate`.
     */
    authenticateAdmin: (req: FastifyRequest, reply?: FastifyReply) => Promise<void>;
    /** Key lookup cache of this instance; the admin revoke/reactivate routes invalidate it. */
    apiKeyCache: ApiKeyCache;
  }
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Constant-time equality of two strings (compares their SHA-256, so lengths never leak). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The caller's key: `Authorization: Bearer`, `X-API-Key`, or `?api_key=` (in that order). */
export function extractApiKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || undefined;
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const q = (req.query as Record<string, unknown> | undefined)?.api_key;
  if (typeof q === 'string' && q.trim()) return q.trim();
  return undefined;
}

/** Query parameters that carry a credential: the API key, and a private video link's token. */
const CREDENTIAL_QUERY_NAMES = ['api_key', 'token'] as const;

/**
 * 400 when the query parser found a credential parameter that the URL does not spell literally
 * (`?api%5Fkey=`, `?%61pi_key=`, `?tok%65n=`): exactly one spelling carries a key, so what authenticates
 * and what the log redaction matches are the same name. The earlier clients write `?api_key=` as is.
 */
export function refuseRespelledCredentials(req: FastifyRequest): void {
  const q = req.url.indexOf('?');
  if (q < 0) return;
  const query = req.query as Record<string, unknown> | undefined;
  if (!query) return;
  const written = new Set(
    req.url
      .slice(q + 1)
      .split('#')[0]!
      .split('&')
      .map((pair) => pair.split('=')[0]),
  );
  for (const name of CREDENTIAL_QUERY_NAMES) {
    if (Object.hasOwn(query, name) && !written.has(name)) {
      throw new AppError(
        ErrorCode.ValidationFailed,
        `${name}: write the query parameter's name as ${name} (a percent-encoded name is refused)`,
        { field: name },
      );
    }
  }
}

async function auth(app: FastifyInstance): Promise<void> {
  const { ADMIN_KEY, SECRET_KEY } = app.config;
  const secretHash = SECRET_KEY !== undefined ? sha256Hex(SECRET_KEY) : undefined;
  const adminHash = ADMIN_KEY !== undefined ? sha256Hex(ADMIN_KEY) : undefined;
  app.decorateRequest('tenant', null);
  // Every route, before any key is read: a credential sent under another spelling is never used.
  app.addHook('onRequest', async (req) => refuseRespelledCredentials(req));
  const cache = new ApiKeyCache(app.config.API_KEY_CACHE_TTL_MS);
  app.decorate('apiKeyCache', cache);

  /** A refused key: counted against the caller's IP (429 once over budget), else 401. */
  const refuse = async (req: FastifyRequest, reply: FastifyReply | undefined, message: string): Promise<never> => {
    await app.authThrottle.failed(req, reply);
    throw new AppError(ErrorCode.Unauthorized, message);
  };
  const same = (a: string, b: string | undefined) =>
    b !== undefined && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

  app.decorate('authenticate', async (req: FastifyRequest, reply?: FastifyReply) => {
    await app.authThrottle.gate(req, reply);
    const key = extractApiKey(req);
    if (!key || key.length > 512) return refuse(req, reply, 'missing or invalid API key');
    const hash = sha256Hex(key);
    // The admin key is never a client key, whatever the database holds.
    if (same(hash, adminHash)) return refuse(req, reply, 'missing or invalid API key');
    const cached = cache.get(hash);
    let tenant = cached ?? (await app.svc.repo.findActiveKey(hash));
    if (tenant && !timingSafeEqual(Buffer.from(tenant.keyHash, 'utf8'), Buffer.from(hash, 'utf8'))) tenant = null;
    if (!tenant && same(hash, secretHash)) {
      // The earlier installs' set-up: the site's secret_key equals the server's. It is the key of a
      // built-in client of its own (created on first use; revoking its key turns SECRET_KEY off for good).
      tenant = await app.svc.repo.ensureSecretKeyClient(hash);
    }
    if (!tenant) return refuse(req, reply, 'missing or invalid API key');
    req.tenant = tenant;
    // Only a lookup starts the TTL: refreshing it on every hit kept a busy revoked key alive on the other
    // instances for as long as it was used (test/integration/key-cache.spec.ts).
    if (!cached) cache.set(hash, tenant);
    // last_used_at is informational: one write per key per minute is enough and spares a round trip.
    if (cache.shouldTouch(tenant.apiKeyId)) app.svc.repo.touchKey(tenant.apiKeyId).catch(() => undefined);
  });

  app.decorate('authenticateAdmin', async (req: FastifyRequest, reply?: FastifyReply) => {
    await app.authThrottle.gate(req, reply);
    if (ADMIN_KEY === undefined) {
      throw new AppError(ErrorCode.Forbidden, 'admin routes are disabled: set ADMIN_KEY (at least 32 bytes)');
    }
    const key = req.headers['x-admin-key'];
    if (typeof key !== 'string' || !safeEqual(key, ADMIN_KEY)) {
      return refuse(req, reply, 'missing or invalid admin key');
    }
  });
}

export default fp(auth, { name: 'auth', dependencies: ['services', 'auth-throttle'] });

/** The authenticated tenant of a request (routes behind `authenticate`). */
export function tenantOf(req: FastifyRequest): TenantRecord {
  if (!req.tenant) throw new AppError(ErrorCode.Unauthorized, 'missing or invalid API key');
  return req.tenant;
}
