import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { nextLocalMidnight } from '@vigint/alerting';
import { storesOf } from '../console-data';
import { requireClient, tenantIdOf } from '../console-guards';
import { messagesFor, renderPage } from '../console-view';
import { cameraView, csrf, IdParams, RISKS, timeZoneOf } from '../incident-view';

/** Cameras: state, last frame, incidents today; snooze and per-camera alert threshold. */
async function cameras(app: FastifyInstance): Promise<void> {
  // Every page here is a client's: the guard runs before any handler (route CSRF checks run after it).
  app.addHook('preHandler', requireClient);

  app.get('/console/cameras', async (req, reply) => {
    const clientId = tenantIdOf(req);
    const t = messagesFor(req);
    const [cameras, tz] = await Promise.all([storesOf(app).cameras.list(clientId), timeZoneOf(app, clientId)]);
    const now = new Date();
    const q = req.query as { done?: string };
    return renderPage(app, req, reply, 'cameras', {
      title: t.cameras.title,
      section: 'cameras',
      cameras: cameras.map((c) => cameraView(t, c, tz, now)),
      risks: RISKS,
      flash: q.done === 'saved' ? t.settings.saved : undefined,
    });
  });

  app.post(
    '/console/cameras/:id/snooze',
    {
      schema: {
        params: IdParams,
        body: {
          type: 'object',
          required: ['duration'],
          properties: { duration: { type: 'string', enum: ['0', '15', '60', 'tomorrow'] }, _csrf: { type: 'string' } },
        },
      },
      preHandler: csrf(app),
    },
    async (req, reply) => {
      const clientId = tenantIdOf(req);
      const { id } = req.params as { id: string };
      const { duration } = req.body as { duration: string };
      const stores = storesOf(app);
      if (!(await stores.cameras.get(clientId, id))) throw new AppError(ErrorCode.NotFound, 'camera not found');
      const now = new Date();
      const until =
        duration === '0'
          ? null
          : duration === 'tomorrow'
            ? nextLocalMidnight(now, await timeZoneOf(app, clientId))
            : new Date(now.getTime() + Number(duration) * 60_000);
      await stores.cameras.snooze(clientId, id, until);
      return reply.redirect('/console/cameras?done=saved', 303);
    },
  );

  app.post(
    '/console/cameras/:id/threshold',
    {
      schema: {
        params: IdParams,
        body: {
          type: 'object',
          required: ['threshold'],
          properties: { threshold: { type: 'string', enum: RISKS }, _csrf: { type: 'string' } },
        },
      },
      preHandler: csrf(app),
    },
    async (req, reply) => {
      const clientId = tenantIdOf(req);
      const { id } = req.params as { id: string };
      const level = (req.body as { threshold: string }).threshold;
      const stores = storesOf(app);
      if (!(await stores.cameras.get(clientId, id))) throw new AppError(ErrorCode.NotFound, 'camera not found');
      await stores.cameras.setThreshold(clientId, id, level);
      return reply.redirect('/console/cameras?done=saved', 303);
    },
  );
}

export default cameras;
