import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { nextLocalMidnight } from '@vigint/alerting';
import { storesOf } from '../console-data';
import { requireClient, tenantIdOf } from '../console-guards';
import { messagesFor, renderPage } from '../console-view';
import { cameraView, csrf, IdParams, RISKS, timeZoneOf } from '../incident-view';

interface FlashQuery {
  done?: string;
  camera?: string;
}

function doneUrl(done: 'snoozed' | 'resumed' | 'threshold', cameraId: string): string {
  return `/console/cameras?done=${done}&camera=${encodeURIComponent(cameraId)}`;
}

/** The banner names what was done to which camera; an unknown camera id in the query shows nothing. */
function flashFor(
  t: ReturnType<typeof messagesFor>,
  q: FlashQuery,
  views: ReturnType<typeof cameraView>[],
): string | undefined {
  const cam = views.find((v) => v.id === q.camera);
  if (!cam) return undefined;
  if (q.done === 'snoozed' && cam.snoozedLabel) return t.cameras.snoozedFlash(cam.name, cam.snoozedLabel);
  if (q.done === 'resumed') return t.cameras.resumedFlash(cam.name);
  if (q.done === 'threshold')
    return t.cameras.thresholdFlash(cam.name, cam.alertThreshold ?? t.cameras.thresholdDefault);
  return undefined;
}

/** Cameras: state, last frame, incidents today; snooze and per-camera alert threshold. */
async function cameras(app: FastifyInstance): Promise<void> {
  // Every page here is a client's: the guard runs before any handler (route CSRF checks run after it).
  app.addHook('preHandler', requireClient);

  app.get('/console/cameras', async (req, reply) => {
    const clientId = tenantIdOf(req);
    const t = messagesFor(req);
    const [cameras, tz] = await Promise.all([storesOf(app).cameras.list(clientId), timeZoneOf(app, clientId)]);
    const now = new Date();
    const views = cameras.map((c) => cameraView(t, c, tz, now));
    return renderPage(app, req, reply, 'cameras', {
      title: t.cameras.title,
      section: 'cameras',
      cameras: views,
      risks: RISKS,
      flash: flashFor(t, req.query as FlashQuery, views),
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
      return reply.redirect(doneUrl(until ? 'snoozed' : 'resumed', id), 303);
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
      return reply.redirect(doneUrl('threshold', id), 303);
    },
  );
}

export default cameras;
