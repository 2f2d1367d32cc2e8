import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AdminClientList,
  AdminCreateClientBody,
  AdminCreateClientReply,
  AdminKeyToggleReply,
  AppError,
  ErrorBody,
  ErrorCode,
  IdParams,
} from '@vigint/contracts';

/** Admin routes behind `X-Admin-Key` == SECRET_KEY (constant-time). */
const admin: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticateAdmin);
  const security = [{ adminKey: [] }];

  app.get(
    '/admin/clients',
    { schema: { tags: ['admin'], security, response: { 200: AdminClientList, 401: ErrorBody } } },
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
        response: { 201: AdminCreateClientReply, 400: ErrorBody, 401: ErrorBody, 409: ErrorBody },
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
          response: { 200: AdminKeyToggleReply, 401: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => {
        const client = await app.svc.repo.getClient(req.params.id);
        if (!client) throw new AppError(ErrorCode.NotFound, 'client not found', { field: 'id' });
        const n = await app.svc.repo.setKeysActive(client.id, action === 'reactivate');
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
};

export default admin;
