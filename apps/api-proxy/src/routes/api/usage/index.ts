import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { aiUsageCsv, aiUsageReport, usageRange } from '@vigint/alerting';
import { AiUsageDailyQuery, AiUsageDailyReply, AppError, ErrorCode, ErrorReplies, UsageReply } from '@vigint/contracts';
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

  /**
   * `GET /api/usage/daily?from=&to=&format=json|csv`: the client's AI usage per UTC day, model and stage
   * (calls, tokens with thinking, cost). Beside `/api/usage`, whose shape stays as the earlier clients read it.
   */
  app.get(
    '/api/usage/daily',
    {
      schema: {
        tags: ['usage'],
        querystring: AiUsageDailyQuery,
        response: { 200: AiUsageDailyReply, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const range = usageRange(req.query, new Date());
      if ('error' in range) throw new AppError(ErrorCode.ValidationFailed, range.error, { field: range.field });
      const days = await app.svc.repo.db.aiBudget.dailyUsage(t.clientId, range.from, range.to);
      const report = aiUsageReport(t.clientId, range.from, range.to, days);
      if (req.query.format === 'csv') {
        return (
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', `attachment; filename="ai-usage-${range.from}-${range.to}.csv"`)
            // A string with a non-JSON type is sent as is (the 200 schema serialises only the JSON reply).
            .send(aiUsageCsv(report) as unknown as AiUsageDailyReply)
        );
      }
      return report;
    },
  );
};

export default usage;
