import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { budgetStatusReply } from '@vigint/alerting';
import {
  AdminBudgetBody,
  AdminClientList,
  AdminCreateClientBody,
  AdminCreateClientReply,
  AdminEraseReply,
  AdminIssueKeyBody,
  AdminIssuedKeyReply,
  AdminKeyParams,
  AdminKeyToggleReply,
  AdminRevokeKeyReply,
  AppError,
  BudgetStatusReply,
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
          api_keys: c.apiKeys.map((k) => ({
            id: k.id,
            is_active: k.isActive,
            name: k.name,
            created_at: k.createdAt,
            revoked: k.revoked,
          })),
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
        // Revoke disables every key with the client; reactivate re-enables only those, never a key revoked
        // on its own (a leaked key stays dead: issue a new one).
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

  const warning = 'Store this API key now: it is shown only once.';
  const clientOr404 = async (id: string) => {
    const client = await app.svc.repo.getClient(id);
    if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
    return client;
  };

  app.post(
    '/admin/clients/:id/keys',
    {
      schema: {
        tags: ['admin'],
        security,
        params: IdParams,
        body: AdminIssueKeyBody,
        response: { 201: AdminIssuedKeyReply, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const client = await clientOr404(req.params.id);
      const issued = await app.svc.repo.issueKey(client.id, req.body?.name ?? undefined);
      await app.svc.repo.audit({
        clientId: client.id,
        apiKeyId: null,
        action: 'key.issue',
        target: issued.apiKeyId,
        ip: req.ip,
      });
      return reply
        .code(201)
        .send({ success: true, client_id: client.id, api_key_id: issued.apiKeyId, api_key: issued.apiKey, warning });
    },
  );

  // One key revoked for good (a leak): no route turns it back on. Other instances may accept it for up to
  // API_KEY_CACHE_TTL_MS (SECURITY.md §1).
  app.post(
    '/admin/clients/:id/keys/:keyId/revoke',
    {
      schema: {
        tags: ['admin'],
        security,
        params: AdminKeyParams,
        response: { 200: AdminRevokeKeyReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const client = await clientOr404(req.params.id);
      if (!(await app.svc.repo.revokeKey(client.id, req.params.keyId))) {
        throw new AppError(ErrorCode.NotFound, 'no such unrevoked key for this client', { field: 'keyId' });
      }
      app.apiKeyCache.invalidateClient(client.id);
      await app.svc.repo.audit({
        clientId: client.id,
        apiKeyId: null,
        action: 'key.revoke',
        target: req.params.keyId,
        ip: req.ip,
      });
      return {
        success: true,
        client_id: client.id,
        api_key_id: req.params.keyId,
        message: `API key ${req.params.keyId} revoked for good`,
      };
    },
  );

  // Rotate = a new key, then the old one revoked for good (in that order: a failure leaves the client a key).
  app.post(
    '/admin/clients/:id/keys/:keyId/rotate',
    {
      schema: {
        tags: ['admin'],
        security,
        params: AdminKeyParams,
        response: { 200: AdminIssuedKeyReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const client = await clientOr404(req.params.id);
      const old = await app.svc.repo.findKey(client.id, req.params.keyId);
      if (!old || old.revokeReason === 'key') {
        throw new AppError(ErrorCode.NotFound, 'no such unrevoked key for this client', { field: 'keyId' });
      }
      const issued = await app.svc.repo.issueKey(client.id, old.name);
      await app.svc.repo.revokeKey(client.id, old.id);
      app.apiKeyCache.invalidateClient(client.id);
      await app.svc.repo.audit({
        clientId: client.id,
        apiKeyId: null,
        action: 'key.rotate',
        target: old.id,
        ip: req.ip,
      });
      return {
        success: true,
        client_id: client.id,
        api_key_id: issued.apiKeyId,
        api_key: issued.apiKey,
        revoked_key_id: old.id,
        warning,
      };
    },
  );

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

  // AI spend budget: caps in PostgreSQL, spend from the Redis counters every gateway and worker shares.
  const budgetOf = async (clientId: string) => {
    const [stored, status] = await Promise.all([
      app.svc.repo.db.aiBudget.getBudget(clientId),
      app.svc.budget.status(clientId),
    ]);
    return budgetStatusReply(clientId, stored, status);
  };

  app.get(
    '/admin/clients/:id/budget',
    { schema: { tags: ['admin'], security, params: IdParams, response: { 200: BudgetStatusReply, ...ErrorReplies } } },
    async (req) => {
      const client = await app.svc.repo.getClient(req.params.id);
      if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
      return budgetOf(client.id);
    },
  );

  app.put(
    '/admin/clients/:id/budget',
    {
      schema: {
        tags: ['admin'],
        security,
        params: IdParams,
        body: AdminBudgetBody,
        response: { 200: BudgetStatusReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const client = await app.svc.repo.getClient(req.params.id);
      if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
      await app.svc.repo.db.aiBudget.setBudget(client.id, {
        dailyUsd: req.body.daily_usd,
        monthlyUsd: req.body.monthly_usd,
      });
      // Other instances pick the change up within the budget cache time (30 s).
      app.svc.budget.invalidate(client.id);
      await app.svc.repo.audit({
        clientId: client.id,
        apiKeyId: null,
        action: 'budget',
        target: `daily=${req.body.daily_usd ?? 'default'} monthly=${req.body.monthly_usd ?? 'default'}`,
        ip: req.ip,
      });
      return budgetOf(client.id);
    },
  );
};

export default admin;
