import { parseIntId, requireIntId } from './db-ids';
import type { PrismaClient } from './generated/prisma/client';

/** A client's AI caps as stored; null = the default from the environment. */
export interface ClientBudgetRow {
  dailyUsd: number | null;
  monthlyUsd: number | null;
  updatedAt: Date;
}

/** One (model, stage) increment of a day's AI usage (core budget/ai-usage.ts, AiUsageIncrement). */
export interface AiUsageIncrementRow {
  model: string;
  stage: string;
  calls: number;
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
  thinkingTokens: number;
  costMicroUsd: number;
}

export interface AiUsageDayRow extends AiUsageIncrementRow {
  day: string;
}

const int = (v: number) => (Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0);

/**
 * Per-client AI budgets (`client_budgets`) and the daily AI usage per model (`ai_usage_daily`). Satisfies
 * core's BudgetLimitStore and AiUsageSink (libs/core/alerting budget/) structurally.
 */
export class AiBudgetRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async getBudget(clientId: string): Promise<ClientBudgetRow | undefined> {
    const id = parseIntId(clientId);
    if (id === undefined) return undefined;
    const row = await this.prisma.clientBudget.findUnique({ where: { clientId: id } });
    return row ? { dailyUsd: row.dailyUsd, monthlyUsd: row.monthlyUsd, updatedAt: row.updatedAt } : undefined;
  }

  /** Sets both caps (null = back to the default). Unknown client → NOT_FOUND from the foreign key. */
  async setBudget(
    clientId: string,
    budget: { dailyUsd: number | null; monthlyUsd: number | null },
  ): Promise<ClientBudgetRow> {
    const id = requireIntId(clientId, 'client');
    const data = { dailyUsd: budget.dailyUsd, monthlyUsd: budget.monthlyUsd, updatedAt: new Date() };
    const row = await this.prisma.clientBudget.upsert({
      where: { clientId: id },
      create: { clientId: id, ...data },
      update: data,
    });
    return { dailyUsd: row.dailyUsd, monthlyUsd: row.monthlyUsd, updatedAt: row.updatedAt };
  }

  // INSERT … ON CONFLICT DO UPDATE with increments: concurrent workers never lose a count.
  async add(clientId: string, day: string, rows: AiUsageIncrementRow[]): Promise<void> {
    const id = parseIntId(clientId);
    if (id === undefined || rows.length === 0) return;
    await this.prisma.$transaction(
      rows.map(
        (r) => this.prisma.$executeRaw`
          INSERT INTO "ai_usage_daily" ("client_id", "day", "model", "stage", "calls", "failed_calls", "prompt_tokens",
                                        "completion_tokens", "thinking_tokens", "cost_micro_usd")
          VALUES (${id}, ${day}::date, ${r.model}, ${r.stage}, ${int(r.calls)}, ${int(r.failedCalls)},
                  ${int(r.promptTokens)}, ${int(r.completionTokens)}, ${int(r.thinkingTokens)}, ${int(r.costMicroUsd)})
          ON CONFLICT ("client_id", "day", "model", "stage") DO UPDATE SET
            "calls" = "ai_usage_daily"."calls" + EXCLUDED."calls",
            "failed_calls" = "ai_usage_daily"."failed_calls" + EXCLUDED."failed_calls",
            "prompt_tokens" = "ai_usage_daily"."prompt_tokens" + EXCLUDED."prompt_tokens",
            "completion_tokens" = "ai_usage_daily"."completion_tokens" + EXCLUDED."completion_tokens",
            "thinking_tokens" = "ai_usage_daily"."thinking_tokens" + EXCLUDED."thinking_tokens",
            "cost_micro_usd" = "ai_usage_daily"."cost_micro_usd" + EXCLUDED."cost_micro_usd"`,
      ),
    );
  }

  /** A client's rows from `from` to `to` (UTC days, inclusive), oldest day first, then model and stage. */
  async dailyUsage(clientId: string, from: string, to: string): Promise<AiUsageDayRow[]> {
    const id = parseIntId(clientId);
    if (id === undefined) return [];
    const rows = await this.prisma.aiUsageDaily.findMany({
      where: { clientId: id, day: { gte: new Date(`${from}T00:00:00Z`), lte: new Date(`${to}T00:00:00Z`) } },
      orderBy: [{ day: 'asc' }, { model: 'asc' }, { stage: 'asc' }],
    });
    return rows.map((r) => ({
      day: r.day.toISOString().slice(0, 10),
      model: r.model,
      stage: r.stage,
      calls: r.calls,
      failedCalls: r.failedCalls,
      promptTokens: Number(r.promptTokens),
      completionTokens: Number(r.completionTokens),
      thinkingTokens: Number(r.thinkingTokens),
      costMicroUsd: Number(r.costMicroUsd),
    }));
  }
}
