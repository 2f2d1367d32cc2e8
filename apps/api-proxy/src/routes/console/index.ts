import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { AppError } from '@vigint/contracts';
import consoleSession from '../../plugins/app/console-session';
import { sha256Hex, safeEqual } from '../../plugins/app/auth';
import { toErrorReply } from '../../plugins/app/error-handler';
import { messagesFor, renderPage } from './console-view';
import { linkSecret } from '../../services/video-links';
import incidents from './incidents';
import cameras from './cameras';
import usage from './usage';
import settings from './settings';
import admin from './admin';
import act from './act';
import magic from './magic';

const VIEWS = fileURLToPath(new URL('./views', import.meta.url));
const CSS = readFileSync(fileURLToPath(new URL('./static/console.css', import.meta.url)));

/**
 * The web console at /console: server-rendered pages (eta, escaping by default), a cookie session,
 * CSRF on every form. Encapsulated: its cookie, form parser and HTML error pages stay inside /console.
 */
async function consoleRoutes(app: FastifyInstance): Promise<void> {
  await app.register(consoleSession, {
    secret: linkSecret(app),
    ttlMinutes: app.config.CONSOLE_SESSION_TTL_MINUTES,
    secureCookies: app.config.CONSOLE_SECURE_COOKIES,
  });
  await app.register(formbody, { bodyLimit: 32 * 1024 });
  await app.register(view, {
    engine: { eta: new Eta({ views: VIEWS, autoEscape: true, cache: true }) },
    templates: VIEWS,
  });

  app.setErrorHandler(async (err, req, reply) => {
    const { status, internal } = toErrorReply(err);
    if (internal) req.log.error({ err }, 'console page failed');
    else req.log.info({ status, code: (err as AppError).code }, 'console request refused');
    if (status === 401) return reply.redirect('/console/sign-in', 303);
    const t = messagesFor(req);
    const message =
      status === 404
        ? t.errors.notFound
        : status === 403
          ? t.errors.forbidden
          : status === 503 || status === 429
            ? t.errors.unavailable
            : status >= 500
              ? t.errors.generic
              : (err as Error).message;
    return renderPage(app, req, reply, 'error', { title: String(status), heading: String(status), message }, status);
  });
  // Fastify keeps one not-found handler per prefix: unknown console pages get theirs through a wildcard.
  app.get('/console/*', async (req, reply) =>
    renderPage(
      app,
      req,
      reply,
      'error',
      { title: '404', heading: '404', message: messagesFor(req).errors.notFound },
      404,
    ),
  );

  app.get('/console/static/console.css', async (_req, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(CSS),
  );

  app.get('/console', async (req, reply) =>
    reply.redirect(
      req.consoleSession?.clientId
        ? '/console/incidents'
        : req.consoleSession?.admin
          ? '/console/admin'
          : '/console/sign-in',
      303,
    ),
  );

  app.get('/console/sign-in', async (req, reply) => {
    if (req.consoleSession) return reply.redirect('/console', 303);
    const q = req.query as { out?: string };
    return renderPage(app, req, reply, 'sign-in', {
      title: messagesFor(req).signIn.title,
      flash: q.out === '1' ? messagesFor(req).signIn.signedOut : undefined,
      magicLink: true,
    });
  });

  app.post(
    '/console/sign-in',
    {
      schema: {
        body: {
          type: 'object',
          properties: { api_key: { type: 'string', maxLength: 512 }, _csrf: { type: 'string', maxLength: 200 } },
        },
      },
      preHandler: async (req) => app.consoleSessions.checkCsrf(req),
    },
    async (req, reply) => {
      await app.authThrottle.gate(req, reply);
      const key = String((req.body as { api_key?: string }).api_key ?? '').trim();
      const t = messagesFor(req);
      const refuse = async () => {
        await app.authThrottle.failed(req, reply);
        return renderPage(
          app,
          req,
          reply,
          'sign-in',
          { title: t.signIn.title, error: t.signIn.refused, magicLink: true },
          401,
        );
      };
      if (!key) return refuse();
      // The integrator signs in with ADMIN_KEY (unset: no admin console, as the admin routes answer 403).
      if (app.config.ADMIN_KEY !== undefined && safeEqual(key, app.config.ADMIN_KEY)) {
        await app.consoleSessions.start(
          reply,
          { clientId: null, apiKeyId: null, admin: true, clientName: 'Admin', language: t.lang },
          req,
        );
        await app.svc.repo
          .audit({ clientId: null, apiKeyId: null, action: 'console.sign_in.admin', target: 'console', ip: req.ip })
          .catch(() => undefined);
        return reply.redirect('/console/admin', 303);
      }
      const tenant = await app.svc.repo.findActiveKey(sha256Hex(key));
      if (!tenant) return refuse();
      await app.consoleSessions.start(
        reply,
        {
          clientId: tenant.clientId,
          apiKeyId: tenant.apiKeyId,
          admin: false,
          clientName: tenant.clientName,
          language: tenant.language === 'fr' ? 'fr' : 'en',
        },
        req,
      );
      await app.svc.repo
        .audit({
          clientId: tenant.clientId,
          apiKeyId: tenant.apiKeyId,
          action: 'console.sign_in',
          target: 'console',
          ip: req.ip,
        })
        .catch(() => undefined);
      return reply.redirect('/console/incidents', 303);
    },
  );

  app.post(
    '/console/sign-out',
    { preHandler: async (req) => app.consoleSessions.checkCsrf(req) },
    async (req, reply) => {
      await app.consoleSessions.end(req, reply);
      return reply.redirect('/console/sign-in?out=1', 303);
    },
  );

  app.post(
    '/console/language',
    {
      schema: {
        body: {
          type: 'object',
          properties: { lang: { type: 'string', enum: ['en', 'fr'] }, back: { type: 'string', maxLength: 300 } },
        },
      },
      preHandler: async (req) => app.consoleSessions.checkCsrf(req),
    },
    async (req, reply) => {
      const s = req.consoleSession;
      if (s) {
        s.language = (req.body as { lang?: string }).lang === 'fr' ? 'fr' : 'en';
        await app.consoleSessions.save(s);
      }
      // The page to return to comes from the form (no Referer: the console sends no-referrer).
      const back = String((req.body as { back?: string }).back ?? '');
      return reply.redirect(
        /^\/console\/[A-Za-z0-9/_-]*$/.test(back) && !back.startsWith('/console/act/') ? back : '/console',
        303,
      );
    },
  );

  for (const r of [incidents, cameras, usage, settings, admin, act, magic]) await app.register(r);
}

export default consoleRoutes;
