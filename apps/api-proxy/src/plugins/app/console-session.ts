import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';

/** One signed-in console visitor: a client (by its API key) or the integrator (admin key). */
export interface ConsoleSession {
  id: string;
  clientId: string | null;
  apiKeyId: string | null;
  admin: boolean;
  clientName: string;
  language: 'en' | 'fr';
  createdAt: string;
  expiresAt: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession: ConsoleSession | null;
  }
  interface FastifyInstance {
    consoleSessions: {
      /** Stores a new session (Redis, expiring) and sets its cookie; rotates the CSRF cookie. */
      start(
        reply: FastifyReply,
        data: Omit<ConsoleSession, 'id' | 'createdAt' | 'expiresAt'>,
        req: FastifyRequest,
      ): Promise<ConsoleSession>;
      end(req: FastifyRequest, reply: FastifyReply): Promise<void>;
      /** Ends every session of a client opened before now (its keys were revoked). */
      endAllFor(clientId: string): Promise<void>;
      /** The token every console form carries in `_csrf`, bound to the visitor's session and CSRF cookie. */
      csrfToken(req: FastifyRequest, reply: FastifyReply): string;
      /** Stores a changed session (e.g. its language) for the rest of its lifetime. */
      save(s: ConsoleSession): Promise<void>;
      /** preHandler of every POST: 403 unless `_csrf` matches and the Origin (when sent) is this host. */
      checkCsrf(req: FastifyRequest): void;
    };
  }
}

export const SESSION_COOKIE = 'vigint_session';
const CSRF_COOKIE = 'vigint_csrf';
const COOKIE_PATH = '/console';

export interface ConsoleSessionOptions {
  /** Signs the cookies and the CSRF tokens. */
  secret: string;
  ttlMinutes: number;
  /** `auto`: Secure when the request came over HTTPS (after TRUST_PROXY). */
  secureCookies: 'auto' | 'true' | 'false';
}

const sha = (secret: string, purpose: string, value: string) =>
  createHmac('sha256', secret).update(`${purpose}\n${value}`).digest('base64url');

/**
 * Console sessions: an opaque id in an httpOnly, SameSite=Strict, signed cookie, the session itself in
 * Redis with a TTL (sign-out deletes it, so a copied cookie dies with it). CSRF: a synchroniser token
 * derived from the session id and a per-browser random cookie, checked on every POST, plus an Origin check.
 */
async function consoleSession(app: FastifyInstance, opts: ConsoleSessionOptions): Promise<void> {
  const cookieSecret = sha(opts.secret, 'console-cookie', 'v1');
  const csrfSecret = sha(opts.secret, 'console-csrf', 'v1');
  await app.register(cookie, { secret: cookieSecret, hook: 'onRequest' });
  const store = app.svc.sessions;
  const ttlSeconds = opts.ttlMinutes * 60;
  const secure = (req: FastifyRequest) =>
    opts.secureCookies === 'true' ? true : opts.secureCookies === 'false' ? false : req.protocol === 'https';
  const cookieOptions = (req: FastifyRequest, maxAge: number) => ({
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: secure(req),
    signed: true,
    maxAge,
  });

  const readSigned = (req: FastifyRequest, name: string): string | null => {
    const raw = req.cookies[name];
    if (!raw) return null;
    const u = req.unsignCookie(raw);
    return u.valid && u.value ? u.value : null;
  };

  app.decorateRequest('consoleSession', null);
  app.addHook('onRequest', async (req) => {
    const sid = readSigned(req, SESSION_COOKIE);
    if (!sid || !/^[A-Za-z0-9_-]{32,64}$/.test(sid)) return;
    const raw = await store.get('console', sid);
    if (!raw) return;
    const s = JSON.parse(raw) as ConsoleSession;
    if (Date.parse(s.expiresAt) <= Date.now()) return;
    if (s.clientId) {
      const cut = await store.get('console-cut', s.clientId);
      if (cut && Date.parse(s.createdAt) <= Number(cut)) return;
    }
    req.consoleSession = s;
  });

  const csrfCookieOf = (req: FastifyRequest, reply: FastifyReply): string => {
    const existing = (req as { _csrfCookie?: string })._csrfCookie ?? readSigned(req, CSRF_COOKIE);
    if (existing) return existing;
    const fresh = randomBytes(18).toString('base64url');
    (req as { _csrfCookie?: string })._csrfCookie = fresh;
    reply.setCookie(CSRF_COOKIE, fresh, cookieOptions(req, 12 * 3600));
    return fresh;
  };
  const tokenFor = (sid: string, browser: string) => sha(csrfSecret, 'csrf', `${sid}|${browser}`);

  app.decorate('consoleSessions', {
    async start(reply, data, req) {
      const id = randomBytes(24).toString('base64url');
      const now = new Date();
      const s: ConsoleSession = {
        ...data,
        id,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
      };
      await store.put('console', id, JSON.stringify(s), ttlSeconds);
      reply.setCookie(SESSION_COOKIE, id, cookieOptions(req, ttlSeconds));
      // A new browser token at sign-in: a token planted before it is worthless afterwards.
      const fresh = randomBytes(18).toString('base64url');
      (req as { _csrfCookie?: string })._csrfCookie = fresh;
      reply.setCookie(CSRF_COOKIE, fresh, cookieOptions(req, 12 * 3600));
      req.consoleSession = s;
      return s;
    },
    async end(req, reply) {
      const s = req.consoleSession;
      if (s) await store.delete('console', s.id);
      req.consoleSession = null;
      reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
    },
    async save(s) {
      await store.put('console', s.id, JSON.stringify(s), (Date.parse(s.expiresAt) - Date.now()) / 1000);
    },
    async endAllFor(clientId) {
      // A cut time rather than a scan of every session: it only has to outlive the longest session.
      await store.put('console-cut', clientId, String(Date.now()), ttlSeconds);
    },
    csrfToken(req, reply) {
      return tokenFor(req.consoleSession?.id ?? '', csrfCookieOf(req, reply));
    },
    checkCsrf(req) {
      const origin = req.headers.origin;
      if (origin && origin !== 'null') {
        let host = '';
        try {
          host = new URL(origin).host;
        } catch {
          host = '';
        }
        if (host !== req.host) throw new AppError(ErrorCode.Forbidden, 'cross-site form refused', { field: '_csrf' });
      }
      const browser = readSigned(req, CSRF_COOKIE);
      const given = (req.body as Record<string, unknown> | undefined)?._csrf;
      const expected = browser ? tokenFor(req.consoleSession?.id ?? '', browser) : '';
      const ok =
        typeof given === 'string' &&
        expected.length > 0 &&
        given.length === expected.length &&
        timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      if (!ok) {
        throw new AppError(ErrorCode.Forbidden, 'this form has expired: reload the page and try again', {
          field: '_csrf',
        });
      }
    },
  });
}

export default fp(consoleSession, { name: 'console-session', dependencies: ['services'] });
