import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { sendArtifact } from '../../../services/artifact-response';
import { storesOf } from '../console-data';
import { requireClient, tenantIdOf } from '../console-guards';
import { messagesFor, renderPage } from '../console-view';
import {
  csrf,
  DATE,
  IdParams,
  incidentMedia,
  incidentView,
  localDay,
  RISKS,
  timeZoneOf,
  zonedMidnight,
} from '../incident-view';

const PAGE_SIZE = 20;

/** The incident timeline (filters, paging), one incident's page, its media and acknowledge. */
async function incidents(app: FastifyInstance): Promise<void> {
  // Every page here is a client's: the guard runs before any handler (route CSRF checks run after it).
  app.addHook('preHandler', requireClient);

  app.get(
    '/console/incidents',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            camera: { type: 'string', maxLength: 200 },
            risk: { type: 'string', enum: ['', ...RISKS] },
            from: DATE,
            to: DATE,
            cursor: { type: 'string', maxLength: 300 },
            lang: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const clientId = tenantIdOf(req);
      const t = messagesFor(req);
      const q = req.query as { camera?: string; risk?: string; from?: string; to?: string; cursor?: string };
      const tz = await timeZoneOf(app, clientId);
      const stores = storesOf(app);
      const nextDay = (d: string) => new Date(zonedMidnight(d, tz).getTime() + 36 * 3600_000);
      const [page, cameras] = await Promise.all([
        stores.incidents.list(clientId, {
          camera: q.camera || undefined,
          risk: q.risk || undefined,
          from: q.from ? zonedMidnight(q.from, tz).toISOString() : undefined,
          to: q.to ? zonedMidnight(localDay(nextDay(q.to), tz), tz).toISOString() : undefined,
          cursor: q.cursor || undefined,
          limit: PAGE_SIZE,
        }),
        stores.cameras.list(clientId),
      ]);
      const filters = { camera: q.camera ?? '', risk: q.risk ?? '', from: q.from ?? '', to: q.to ?? '' };
      const qs = (extra: Record<string, string>) => {
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) p.set(k, v);
        const s = p.toString();
        return `/console/incidents${s ? `?${s}` : ''}`;
      };
      return renderPage(app, req, reply, 'incidents', {
        title: t.incidents.title,
        section: 'incidents',
        incidents: page.incidents.map((i) => incidentView(t, i, tz, `/console/incidents/${encodeURIComponent(i.id)}`)),
        cameras,
        risks: RISKS,
        filters,
        nextUrl: page.nextCursor ? qs({ cursor: page.nextCursor }) : null,
        firstUrl: q.cursor ? qs({}) : null,
      });
    },
  );

  app.get('/console/incidents/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const clientId = tenantIdOf(req);
    const t = messagesFor(req);
    const { id } = req.params as { id: string };
    const [incident, tz] = await Promise.all([storesOf(app).incidents.get(clientId, id), timeZoneOf(app, clientId)]);
    if (!incident) throw new AppError(ErrorCode.NotFound, 'incident not found');
    const v = incidentView(t, incident, tz, `/console/incidents/${encodeURIComponent(incident.id)}`);
    const q = req.query as { done?: string };
    return renderPage(app, req, reply, 'incident', {
      title: t.incident.title(v.typeLabel, v.cameraName),
      section: 'incidents',
      incident: v,
      flash: q.done === 'ack' ? t.act.ackDone : undefined,
    });
  });

  for (const which of ['clip', 'thumbnail'] as const) {
    app.get(`/console/incidents/:id/${which}`, { schema: { params: IdParams } }, async (req, reply) => {
      const clientId = tenantIdOf(req);
      const a = await incidentMedia(app, clientId, (req.params as { id: string }).id, which);
      // Range requests arrive many per view: only the first is audited.
      if (which === 'clip' && (!req.headers.range || /^bytes=0-/.test(req.headers.range))) {
        await app.svc.repo
          .audit({
            clientId,
            apiKeyId: req.consoleSession?.apiKeyId ?? null,
            action: 'console.clip.stream',
            target: a.id,
            ip: req.ip,
          })
          .catch(() => undefined);
      }
      return sendArtifact(app, req, reply, a, 'inline');
    });
  }

  app.post(
    '/console/incidents/:id/acknowledge',
    { schema: { params: IdParams }, preHandler: csrf(app) },
    async (req, reply) => {
      const clientId = tenantIdOf(req);
      const { id } = req.params as { id: string };
      const stores = storesOf(app);
      if (!(await stores.incidents.get(clientId, id))) throw new AppError(ErrorCode.NotFound, 'incident not found');
      await stores.incidents.acknowledge(clientId, id, new Date());
      return reply.redirect(`/console/incidents/${encodeURIComponent(id)}?done=ack`, 303);
    },
  );
}

export default incidents;
