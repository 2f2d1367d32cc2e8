import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newSignInClaim, signSignInLink, SIGN_IN_LINK_TTL_MS, verifySignInLink } from '@vigint/alerting';
import { createMailer, type MailTransport } from '@vigint/mailer';
import { linkSecret, publicBase } from '../../../services/video-links';
import { consoleMessages } from '../console-messages';
import { messagesFor, renderPage } from '../console-view';

/** Per visitor address and per e-mail address, in 15 minutes: enough for a typo, too few to spam a mailbox. */
const PER_IP = 10;
const PER_ADDRESS = 3;
const WINDOW_MS = 15 * 60_000;

const TokenParams = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', minLength: 10, maxLength: 400 } },
} as const;

/**
 * "E-mail me a link": a sign-in link to the client's address on record, signed with the link secret, single
 * use (its nonce waits in Redis and is taken on use) and valid 15 minutes. The answer is the same whether or
 * not the address belongs to a client (no enumeration); the requests are limited per visitor and per address.
 * Opening the link shows a button (mail scanners fetch links: a GET never signs anyone in).
 */
async function magic(app: FastifyInstance, opts: { mailer?: MailTransport }): Promise<void> {
  const secret = linkSecret(app);
  const c = app.config;
  const mailer =
    opts.mailer ??
    createMailer({
      EMAIL_SMTP_SERVER: c.EMAIL_SMTP_SERVER,
      EMAIL_SMTP_PORT: c.EMAIL_SMTP_PORT,
      EMAIL_SMTP_SECURE: c.EMAIL_SMTP_SECURE,
      EMAIL_USERNAME: c.EMAIL_USERNAME,
      EMAIL_PASSWORD: c.EMAIL_PASSWORD,
      EMAIL_OUTBOX_DIR: c.EMAIL_OUTBOX_DIR,
    });
  if (!opts.mailer) app.addHook('onClose', () => mailer.close());
  const sessions = app.svc.sessions;
  const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

  app.post(
    '/console/magic',
    {
      schema: {
        body: {
          type: 'object',
          properties: { email: { type: 'string', maxLength: 254 }, _csrf: { type: 'string', maxLength: 200 } },
        },
      },
      preHandler: async (req) => app.consoleSessions.checkCsrf(req),
    },
    async (req, reply) => {
      const t = messagesFor(req);
      const page = (message: string, status = 200) =>
        renderPage(app, req, reply, 'sign-in', { title: t.signIn.title, flash: message, magicLink: true }, status);
      const ip = await app.svc.limits.hit(`magic-ip:${hash(req.ip)}`, PER_IP, WINDOW_MS);
      if (!ip.allowed) return page(t.signIn.magicTooMany, 429);
      const email = String((req.body as { email?: string }).email ?? '')
        .trim()
        .toLowerCase();
      // Past the address's limit the answer is the same as always; only the mail is not sent.
      const perAddress = email
        ? await app.svc.limits.hit(`magic-to:${hash(email)}`, PER_ADDRESS, WINDOW_MS)
        : undefined;
      const client = email && perAddress?.allowed ? await app.svc.repo.db.clients.findByEmail(email) : null;
      if (client) {
        const claim = newSignInClaim(client.id);
        await sessions.put('magic', claim.nonce, client.id, SIGN_IN_LINK_TTL_MS / 1000);
        const url = `${publicBase(app, req)}/console/magic/${signSignInLink(secret, claim)}`;
        const m = consoleMessages(client.language);
        const text = m.signIn.magicMailBody(url);
        const html = `<p>${text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/\n/g, '<br>')}</p>`;
        await mailer
          .send({ from: c.EMAIL_FROM, to: client.email, subject: m.signIn.magicMailSubject, text, html })
          .catch((err: unknown) => req.log.warn({ err: (err as Error).message }, 'sign-in link not sent'));
        await app.svc.repo
          .audit({
            clientId: client.id,
            apiKeyId: null,
            action: 'console.magic_link.sent',
            target: 'console',
            ip: req.ip,
          })
          .catch(() => undefined);
      }
      return page(t.signIn.magicSent);
    },
  );

  const claimOf = (req: FastifyRequest) => verifySignInLink(secret, (req.params as { token: string }).token);

  app.get('/console/magic/:token', { schema: { params: TokenParams } }, async (req, reply) => {
    const t = messagesFor(req);
    const check = claimOf(req);
    const client = check.valid ? await app.svc.repo.db.clients.findById(check.claim.clientId) : null;
    const live = check.valid && client && (await sessions.get('magic', check.claim.nonce)) === client.id;
    if (!live) return renderPage(app, req, reply, 'magic', { title: t.signIn.title, message: t.signIn.magicUsed }, 410);
    return renderPage(app, req, reply, 'magic', {
      title: t.signIn.title,
      confirm: {
        action: `/console/magic/${(req.params as { token: string }).token}`,
        question: t.signIn.magicConfirm(client.name),
      },
    });
  });

  app.post(
    '/console/magic/:token',
    { schema: { params: TokenParams }, preHandler: async (req) => app.consoleSessions.checkCsrf(req) },
    async (req, reply) => {
      const t = messagesFor(req);
      const check = claimOf(req);
      // Taken in one step: two clicks at once sign in once.
      const owner = check.valid ? await sessions.take('magic', check.claim.nonce) : null;
      const client =
        check.valid && owner === check.claim.clientId ? await app.svc.repo.db.clients.findById(owner) : null;
      if (!client)
        return renderPage(app, req, reply, 'magic', { title: t.signIn.title, message: t.signIn.magicUsed }, 410);
      await app.consoleSessions.start(
        reply,
        {
          clientId: client.id,
          apiKeyId: null,
          admin: false,
          clientName: client.name,
          language: client.language === 'fr' ? 'fr' : 'en',
        },
        req,
      );
      await app.svc.repo
        .audit({
          clientId: client.id,
          apiKeyId: null,
          action: 'console.sign_in.magic_link',
          target: 'console',
          ip: req.ip,
        })
        .catch(() => undefined);
      return reply.redirect('/console/incidents', 303);
    },
  );
}

export default magic;
