import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode, isAppError } from '@vigint/contracts';
import { storesOf } from '../console-data';
import { requireAdmin } from '../console-guards';
import { messagesFor, renderPage } from '../console-view';
import { cameraView } from '../incident-view';

/** The integrator's pages (admin key): clients, their cameras' health, usage this month, key management. */
async function admin(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', requireAdmin);

  async function listPage(
    req: Parameters<typeof renderPage>[1],
    reply: Parameters<typeof renderPage>[2],
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const t = messagesFor(req);
    const month = new Date().toISOString().slice(0, 7);
    const now = new Date();
    const money = new Intl.NumberFormat(t.locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
    const clients = await Promise.all(
      (await app.svc.repo.listClients()).map(async (c) => {
        const [cameras, usage] = await Promise.all([
          storesOf(app).cameras.list(c.id),
          app.svc.repo.dailyCounters(c.id, 31),
        ]);
        const m = usage.filter((u) => u.day.startsWith(month));
        const calls = m.reduce((n, u) => n + u.requests, 0);
        const cost = m.reduce((n, u) => n + u.cost, 0);
        return {
          id: c.id,
          name: c.name,
          email: c.email ?? '',
          cameras: cameras.map((cam) => cameraView(t, cam, 'UTC', now)),
          activeKeys: c.apiKeys.filter((k) => k.isActive).length,
          revokedKeys: c.apiKeys.filter((k) => !k.isActive).length,
          usageLabel: `${calls} · ${money.format(cost)}`,
        };
      }),
    );
    return renderPage(app, req, reply, 'admin', { title: t.admin.title, section: 'admin', clients, ...extra }, status);
  }

  app.get('/console/admin', async (req, reply) => listPage(req, reply));

  app.post(
    '/console/admin/clients',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 200 },
            email: { type: 'string', maxLength: 254 },
            language: { type: 'string', enum: ['en', 'fr'] },
            _csrf: { type: 'string' },
          },
        },
      },
      preHandler: async (req) => app.consoleSessions.checkCsrf(req),
    },
    async (req, reply) => {
      const b = req.body as { name?: string; email?: string; language?: string };
      const name = (b.name ?? '').trim();
      const email = (b.email ?? '').trim();
      if (!name) return listPage(req, reply, { error: 'name: required' }, 400);
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
        return listPage(req, reply, { error: 'email: not an e-mail address' }, 400);
      try {
        const created = await app.svc.repo.createClient(name, email, b.language ?? 'en');
        await app.svc.repo
          .audit({
            clientId: created.clientId,
            apiKeyId: null,
            action: 'console.admin.client_create',
            target: created.clientId,
            ip: req.ip,
          })
          .catch(() => undefined);
        // The key is shown on this response only: never stored, never in a URL.
        return listPage(req, reply, { created: { name, apiKey: created.apiKey } }, 201);
      } catch (err) {
        if (isAppError(err) && err.code === ErrorCode.Conflict)
          return listPage(req, reply, { error: `email: ${err.message}` }, 409);
        throw err;
      }
    },
  );

  for (const action of ['revoke', 'reactivate'] as const) {
    app.post(
      `/console/admin/clients/:id/${action}`,
      {
        schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,10}$' } } } },
        preHandler: async (req) => app.consoleSessions.checkCsrf(req),
      },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const client = await app.svc.repo.getClient(id);
        if (!client) throw new AppError(ErrorCode.NotFound, 'client not found');
        await app.svc.repo.setKeysActive(client.id, action === 'reactivate');
        app.apiKeyCache.invalidateClient(client.id);
        if (action === 'revoke') await app.consoleSessions.endAllFor(client.id);
        await app.svc.repo
          .audit({
            clientId: client.id,
            apiKeyId: null,
            action: `console.admin.keys_${action}`,
            target: client.id,
            ip: req.ip,
          })
          .catch(() => undefined);
        return reply.redirect('/console/admin', 303);
      },
    );
  }
}

export default admin;
