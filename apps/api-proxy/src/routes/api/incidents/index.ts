import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorReplies,
  IdParams,
  IncidentAnnounce,
  IncidentListQuery,
  IncidentPage,
  IncidentRecord,
  VideoUploadBody,
} from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';
import { jsonBody } from '../../../services/json-or-multipart';
import { readVideoUpload } from '../../../services/video-upload';
import { queueFirstNotice } from './first-notice';

/**
 * Incidents on record, scoped to the key's client: `GET /api/incidents` (newest first, paged, filtered by camera,
 * risk and time), `GET /api/incidents/{id}`, `POST /api/incidents` (the agent announces an incident as it opens,
 * at confirm time, with the snapshot; idempotent on `idempotencyKey`; queues the first notice, one per incident),
 * `POST /api/incidents/{id}/acknowledge`, `POST /api/incidents/{id}/clip` (the clip of an incident the agent
 * mailed itself during a gateway outage; kept if it already has one).
 */
const incidents: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/incidents',
    {
      schema: { tags: ['incidents'], querystring: IncidentListQuery, response: { 200: IncidentPage, ...ErrorReplies } },
    },
    async (req) => app.incidents.list(tenantOf(req).clientId, req.query),
  );

  app.get(
    '/api/incidents/:id',
    { schema: { tags: ['incidents'], params: IdParams, response: { 200: IncidentRecord, ...ErrorReplies } } },
    async (req) => app.incidents.get(tenantOf(req).clientId, req.params.id),
  );

  app.post(
    '/api/incidents',
    { schema: { tags: ['incidents'], body: IncidentAnnounce, response: { 200: IncidentRecord, ...ErrorReplies } } },
    async (req) => {
      const { clientId } = tenantOf(req);
      const { snapshotJpeg, delivered, language, ...open } = req.body;
      // `delivered`: the agent mailed it itself during a gateway outage; recorded only, under the same key.
      if (delivered) return app.incidents.record(clientId, open, delivered);
      const incident = await app.incidents.announce(clientId, open);
      // The first notice goes at announce time only: a recorded incident was already alerted by the agent.
      await queueFirstNotice(app, clientId, incident, snapshotJpeg, language);
      return incident;
    },
  );

  app.post(
    '/api/incidents/:id/acknowledge',
    { schema: { tags: ['incidents'], params: IdParams, response: { 200: IncidentRecord, ...ErrorReplies } } },
    async (req) => app.incidents.acknowledge(tenantOf(req).clientId, req.params.id),
  );

  app.post(
    '/api/incidents/:id/clip',
    {
      schema: {
        tags: ['incidents'],
        params: IdParams,
        body: jsonBody(VideoUploadBody),
        response: { 200: IncidentRecord, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      // Stored only when the incident is this client's and has no clip yet (a replayed upload stores nothing).
      return app.incidents.attachClip(t.clientId, req.params.id, async () => {
        const { stored } = await readVideoUpload(app, req, t, { kind: 'alert', defaultName: 'incident.mp4' });
        return stored.artifact.id;
      });
    },
  );
};

export default incidents;
