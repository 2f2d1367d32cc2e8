import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AdminClientList,
  AdminCreateClientBody,
  AdminCreateClientReply,
  AdminEraseReply,
  AdminKeyToggleReply,
  AppError,
  ErrorReplies,
  ErrorCode,
  IdParams,
  JobAccepted,
  JobName,
} from '@vigint/contracts';
import { runJob, sendAccepted } from '../../../services/job-runner';

/** `/admin/clients…`: in the admin scope (routes/index.ts), behind `X-Admin-Key`. */
const admin: FastifyPluginAsyncTypebox = async (app) => {
  const security = [{ adminKey: [] }];

  app.get(
    '/admin/clients',
    { schema: { tags: ['admin'], security, response: { 200: AdminClientList, ...ErrorReplies } } },
    async () => {
      const clients = await app.svc.repo.listClients();
      return {
        clients: clients.map((c) => ({
          id: c.id,
          name: c.name,
          email: c.email,
          created_at: c.createdAt,
          api_keys: c.apiKeys.map((k) => ({ id: k.id, is_active: k.isActive, name: k.name, created_at: k.createdAt })),
        })),
        count: clients.length,
      };
    },
  );

  app.post(
    '/admin/clients',
    {
      schema: {
        tags: ['admin'],
        security,
        body: AdminCreateClientBody,
        response: { 201: AdminCreateClientReply, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const requested = req.body.email ?? `client-${randomBytes(6).toString('hex')}@vigint.local`;
      const {
        clientId,
        apiKeyId,
        apiKey: key,
        email,
      } = await app.svc.repo.createClient(req.body.name.trim(), requested, req.body.language ?? 'en');
      return reply.code(201).send({
        success: true,
        client_id: clientId,
        name: req.body.name.trim(),
        email,
        api_key: key,
        api_key_id: apiKeyId,
        warning: 'Store this API key now: it is shown only once.',
      });
    },
  );

  for (const action of ['revoke', 'reactivate'] as const) {
    app.post(
      `/admin/clients/:id/${action}`,
      {
        schema: {
          tags: ['admin'],
          security,
          params: IdParams,
          response: { 200: AdminKeyToggleReply, ...ErrorReplies },
        },
      },
      async (req) => {
        const client = await app.svc.repo.getClient(req.params.id);
        if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
        const n = await app.svc.repo.setKeysActive(client.id, action === 'reactivate');
        // Only this instance's cache: the others accept a revoked key for up to API_KEY_CACHE_TTL_MS.
        app.apiKeyCache.invalidateClient(client.id);
        return {
          success: true,
          client_id: client.id,
          client_name: client.name,
          ...(action === 'revoke' ? { revoked_count: n } : { reactivated_count: n }),
          message: `${n} API key(s) ${action === 'revoke' ? 'revoked' : 'reactivated'} for ${client.name}`,
        };
      },
    );
  }

  // Erasure on request (GDPR): every stored video of the client and its per-client state, through the
  // worker's ClientErase job (the same code the retention cleanup uses). Keys and the client record stay.
  app.post(
    '/admin/clients/:id/erase',
    {
      schema: {
        tags: ['admin'],
        security,
        params: IdParams,
        response: { 200: AdminEraseReply, 202: JobAccepted, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const client = await app.svc.repo.getClient(req.params.id);
      if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
      const out = await runJob(app, req, JobName.ClientErase, { clientId: client.id });
      await app.svc.repo.audit({ clientId: client.id, apiKeyId: null, action: 'erase', target: client.id, ip: req.ip });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
      if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
      const r = out.result;
      return {
        success: true,
        client_id: client.id,
        client_name: client.name,
        erase_result: { cleaned: r.cleaned, failed: r.failed, total: r.total, bytes_freed: r.bytesFreed },
        message: `${r.cleaned} stored video(s) erased for ${client.name}`,
      };
    },
  );
};

export default admin;
