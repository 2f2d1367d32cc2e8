import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorReplies,
  IdParams,
  IncidentListQuery,
  IncidentOpen,
  IncidentPage,
  IncidentRecord,
} from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';

/**
 * Incidents on record, scoped to the key's client: `GET /api/incidents` (newest first, paged, filtered by camera,
 * risk and time), `GET /api/incidents/{id}`, `POST /api/incidents` (the agent announces an incident as it opens;
 * idempotent on `idempotencyKey`), `POST /api/incidents/{id}/acknowledge`.
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
    { schema: { tags: ['incidents'], body: IncidentOpen, response: { 200: IncidentRecord, ...ErrorReplies } } },
    async (req) => app.incidents.announce(tenantOf(req).clientId, req.body),
  );

  app.post(
    '/api/incidents/:id/acknowledge',
    { schema: { tags: ['incidents'], params: IdParams, response: { 200: IncidentRecord, ...ErrorReplies } } },
    async (req) => app.incidents.acknowledge(tenantOf(req).clientId, req.params.id),
  );
};

export default incidents;
