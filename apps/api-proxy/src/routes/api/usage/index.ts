import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorReplies, UsageReply } from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';

/** `GET /api/usage`: the key's last 100 calls (earlier shape) and its client's per-day counters. */
const usage: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/usage',
    { schema: { tags: ['usage'], response: { 200: UsageReply, ...ErrorReplies } } },
    async (req) => {
      const t = tenantOf(req);
      const [recent, daily] = await Promise.all([
        app.svc.repo.recentUsage(t.apiKeyId, 100),
        app.svc.repo.dailyCounters(t.clientId, 30),
      ]);
      const totals = daily.reduce(
        (a, d) => ({
          requests: a.requests + d.requests,
          ai_requests: a.ai_requests + d.ai_requests,
          ai_tokens: a.ai_tokens + d.ai_tokens,
          alerts: a.alerts + d.alerts,
          cost: a.cost + d.cost,
        }),
        { requests: 0, ai_requests: 0, ai_tokens: 0, alerts: 0, cost: 0 },
      );
      return {
        api_key_id: t.apiKeyId,
        client_id: t.clientId,
        client_name: t.clientName,
        usage_count: recent.count,
        usage: recent.rows,
        daily,
        totals,
      };
    },
  );
};

export default usage;
