import type { FastifyInstance } from 'fastify';
import type { NoticeChannels } from '@vigint/contracts';
import { requireClient, tenantIdOf } from '../console-guards';
import { messagesFor, renderPage, validTimeZone } from '../console-view';
import { csrf } from '../incident-view';

/** The client's time zone, instant-notice channels and daily digest. */
async function settings(app: FastifyInstance): Promise<void> {
  // Every page here is a client's: the guard runs before any handler (route CSRF checks run after it).
  app.addHook('preHandler', requireClient);

  app.get('/console/settings', async (req, reply) => {
    const clientId = tenantIdOf(req);
    const t = messagesFor(req);
    const s = await app.svc.repo.db.consoleSettings.get(clientId);
    const q = req.query as { done?: string };
    return renderPage(app, req, reply, 'settings', {
      title: t.settings.title,
      section: 'settings',
      s,
      flash: q.done === 'saved' ? t.settings.saved : undefined,
    });
  });

  app.post(
    '/console/settings',
    {
      schema: {
        body: {
          type: 'object',
          properties: Object.fromEntries(
            [
              'time_zone',
              'digest_enabled',
              'digest_hour',
              'webhook_url',
              'webhook_secret',
              'ntfy_server',
              'ntfy_topic',
              'ntfy_token',
              'telegram_token',
              'telegram_chat',
              '_csrf',
            ].map((k) => [k, { type: 'string', maxLength: 2000 }]),
          ),
        },
      },
      preHandler: csrf(app),
    },
    async (req, reply) => {
      const clientId = tenantIdOf(req);
      const t = messagesFor(req);
      const b = req.body as Record<string, string | undefined>;
      const current = await app.svc.repo.db.consoleSettings.get(clientId);
      const v = (k: string) => (b[k] ?? '').trim();
      const fail = (field: string, message: string) =>
        renderPage(
          app,
          req,
          reply,
          'settings',
          { title: t.settings.title, section: 'settings', s: current, error: `${field}: ${message}` },
          400,
        );
      const tz = v('time_zone') || 'UTC';
      if (!validTimeZone(tz)) return fail('time_zone', 'unknown time zone (use a name like Europe/Paris)');
      const hour = v('digest_hour') === '' ? current.digestHour : Number(v('digest_hour'));
      if (!Number.isInteger(hour) || hour < 0 || hour > 23) return fail('digest_hour', 'must be a whole hour 0-23');
      const httpUrl = (s: string) => /^https?:\/\/[^\s]+$/.test(s) && s.length <= 2000;
      const channels: NoticeChannels = {};
      if (v('webhook_url')) {
        if (!httpUrl(v('webhook_url'))) return fail('webhook_url', 'must be an http(s) URL');
        const secret = v('webhook_secret') || current.channels.webhook?.secret || '';
        if (secret.length < 16) return fail('webhook_secret', 'needs at least 16 characters');
        channels.webhook = { url: v('webhook_url'), secret };
      }
      if (v('ntfy_topic') || v('ntfy_server')) {
        const server = v('ntfy_server') || 'https://ntfy.sh';
        if (!httpUrl(server)) return fail('ntfy_server', 'must be an http(s) URL');
        if (!/^[-_A-Za-z0-9]{1,64}$/.test(v('ntfy_topic')))
          return fail('ntfy_topic', 'letters, digits, - and _ only (1-64)');
        const token = v('ntfy_token') || current.channels.ntfy?.token;
        channels.ntfy = { server, topic: v('ntfy_topic'), ...(token ? { token } : {}) };
      }
      if (v('telegram_chat')) {
        const botToken = v('telegram_token') || current.channels.telegram?.botToken || '';
        if (!/^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$/.test(botToken))
          return fail('telegram_token', 'looks like 123456:ABC… (from @BotFather)');
        if (!/^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,64}$/.test(v('telegram_chat')))
          return fail('telegram_chat', 'a numeric chat id or @channel');
        channels.telegram = { botToken, chatId: v('telegram_chat') };
      }
      await app.svc.repo.db.consoleSettings.update(clientId, {
        timeZone: tz,
        digestEnabled: v('digest_enabled') === '1',
        digestHour: hour,
        channels,
      });
      return reply.redirect('/console/settings?done=saved', 303);
    },
  );
}

export default settings;
