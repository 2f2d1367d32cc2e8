import type { FastifyInstance } from 'fastify';
import { requireClient, tenantIdOf } from '../console-guards';
import { messagesFor, renderPage } from '../console-view';
import { refusedBucket } from '../../../plugins/app/usage';

/** Usage and AI spend of the month, from the usage counters the JSON /api/usage route reads. */
async function usage(app: FastifyInstance): Promise<void> {
  // Every page here is a client's: the guard runs before any handler (route CSRF checks run after it).
  app.addHook('preHandler', requireClient);

  app.get('/console/usage', async (req, reply) => {
    const clientId = tenantIdOf(req);
    const t = messagesFor(req);
    const now = new Date();
    const month = now.toISOString().slice(0, 7);
    const rows = (await app.svc.repo.dailyCounters(clientId, 31)).filter((r) => r.day.startsWith(month));
    const byDay = new Map<string, { day: string; calls: number; aiRequests: number; alertsSent: number }>();
    const totals = { calls: 0, aiRequests: 0, inputTokens: 0, outputTokens: 0, alertsSent: 0, cost: 0 };
    for (const r of rows) {
      const d = byDay.get(r.day) ?? { day: r.day, calls: 0, aiRequests: 0, alertsSent: 0 };
      d.calls += r.requests;
      d.aiRequests += r.ai_requests;
      d.alertsSent += r.alerts;
      byDay.set(r.day, d);
      totals.calls += r.requests;
      totals.aiRequests += r.ai_requests;
      totals.inputTokens += r.ai_tokens;
      totals.alertsSent += r.alerts;
      totals.cost += r.cost;
    }
    const money = new Intl.NumberFormat(t.locale, { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
    // The AI budget and what the workers have spent (shared Redis counters), and the month per model.
    const status = await app.svc.budget.status(clientId);
    const cap = (spent: number, limit: number | undefined) => ({
      label:
        limit === undefined
          ? `${money.format(spent)} (${t.usage.noCap})`
          : `${money.format(spent)} ${t.usage.of} ${money.format(limit)}`,
      percent: limit === undefined || limit === 0 ? undefined : Math.min(100, Math.round((spent / limit) * 100)),
      reached: limit !== undefined && spent >= limit,
    });
    const budget = {
      day: cap(status.spentDayUsd, status.limits.dailyUsd),
      month: cap(status.spentMonthUsd, status.limits.monthlyUsd),
    };
    const perModel = await app.svc.repo.db.aiBudget.dailyUsage(clientId, `${month}-01`, now.toISOString().slice(0, 10));
    const models = new Map<
      string,
      {
        model: string;
        stage: string;
        calls: number;
        prompt: number;
        completion: number;
        thinking: number;
        cost: number;
      }
    >();
    for (const r of perModel) {
      const k = `${r.model} ${r.stage}`;
      const m = models.get(k) ?? {
        model: r.model,
        stage: r.stage,
        calls: 0,
        prompt: 0,
        completion: 0,
        thinking: 0,
        cost: 0,
      };
      m.calls += r.calls;
      m.prompt += r.promptTokens;
      m.completion += r.completionTokens;
      m.thinking += r.thinkingTokens;
      m.cost += r.costMicroUsd / 1_000_000;
      models.set(k, m);
    }
    return renderPage(app, req, reply, 'usage', {
      title: t.usage.title,
      section: 'usage',
      monthLabel: new Intl.DateTimeFormat(t.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(now),
      // The daily rows count tokens in and out together.
      totals: { ...totals, inputTokens: totals.inputTokens, outputTokens: '—' },
      spendLabel: money.format(totals.cost),
      refusedToday: await app.svc.limits.counted(refusedBucket(clientId)).catch(() => 0),
      budgetLabel: '',
      budget,
      models: [...models.values()].map((m) => ({ ...m, costLabel: money.format(m.cost) })),
      days: [...byDay.values()].sort((a, b) => b.day.localeCompare(a.day)),
    });
  });
}

export default usage;
