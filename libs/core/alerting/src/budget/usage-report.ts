import type { AiUsageDailyReply, BudgetStatusReply } from '@vigint/contracts';
import type { BudgetStatus, StoredBudget } from './budget.service';
import { fromMicroUsd } from './spend-store';

/** A stored day of AI usage (PostgreSQL `ai_usage_daily`, one row per day, model and stage). */
export interface AiUsageDay {
  day: string;
  model: string;
  stage: string;
  calls: number;
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
  thinkingTokens: number;
  costMicroUsd: number;
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** The daily usage report per model: calls, tokens (thinking included in completion and also apart), cost. */
export function aiUsageReport(clientId: string, from: string, to: string, days: AiUsageDay[]): AiUsageDailyReply {
  const rows = days.map((d) => ({
    day: d.day,
    model: d.model,
    stage: d.stage,
    calls: d.calls,
    failed_calls: d.failedCalls,
    prompt_tokens: d.promptTokens,
    completion_tokens: d.completionTokens,
    thinking_tokens: d.thinkingTokens,
    total_tokens: d.promptTokens + d.completionTokens,
    cost_usd: round6(fromMicroUsd(d.costMicroUsd)),
  }));
  const totals = rows.reduce(
    (t, r) => ({
      calls: t.calls + r.calls,
      prompt_tokens: t.prompt_tokens + r.prompt_tokens,
      completion_tokens: t.completion_tokens + r.completion_tokens,
      thinking_tokens: t.thinking_tokens + r.thinking_tokens,
      total_tokens: t.total_tokens + r.total_tokens,
      cost_usd: t.cost_usd + r.cost_usd,
    }),
    { calls: 0, prompt_tokens: 0, completion_tokens: 0, thinking_tokens: 0, total_tokens: 0, cost_usd: 0 },
  );
  return { client_id: clientId, from, to, rows, totals: { ...totals, cost_usd: round6(totals.cost_usd) } };
}

const CSV_COLUMNS = [
  'day',
  'model',
  'stage',
  'calls',
  'failed_calls',
  'prompt_tokens',
  'completion_tokens',
  'thinking_tokens',
  'total_tokens',
  'cost_usd',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted; a leading =+-@ is defused for spreadsheets. */
function csvField(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function aiUsageCsv(report: AiUsageDailyReply): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of report.rows) lines.push(CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** UTC days `from`..`to`: defaults to the last 30 days; a bad or too long range names the field. */
export function usageRange(
  q: { from?: string; to?: string },
  now: Date,
  maxDays = 366,
): { from: string; to: string } | { error: string; field: 'from' | 'to' } {
  const to = q.to ?? now.toISOString().slice(0, 10);
  const from = q.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  for (const [field, v] of [
    ['from', from],
    ['to', to],
  ] as const)
    if (Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v)
      return { error: `${field} is not a calendar day (YYYY-MM-DD)`, field };
  const span = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;
  if (span < 0) return { error: 'from is after to', field: 'from' };
  if (span >= maxDays) return { error: `at most ${maxDays} days per report`, field: 'from' };
  return { from, to };
}

export function budgetStatusReply(
  clientId: string,
  stored: StoredBudget | undefined,
  s: BudgetStatus,
): BudgetStatusReply {
  return {
    client_id: clientId,
    stored: { daily_usd: stored?.dailyUsd ?? null, monthly_usd: stored?.monthlyUsd ?? null },
    daily_usd: s.limits.dailyUsd ?? null,
    monthly_usd: s.limits.monthlyUsd ?? null,
    source: s.limits.source,
    day: s.day,
    month: s.month,
    spent_day_usd: round6(s.spentDayUsd),
    spent_month_usd: round6(s.spentMonthUsd),
  };
}
