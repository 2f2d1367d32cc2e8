import type { AiCall } from '@vigint/contracts';
import { toMicroUsd } from './spend-store';

/** One (model, stage) line of a client's daily AI usage: what the report sums. */
export interface AiUsageIncrement {
  model: string;
  stage: string;
  calls: number;
  failedCalls: number;
  promptTokens: number;
  completionTokens: number;
  thinkingTokens: number;
  costMicroUsd: number;
}

/** Where the per-client, per-day, per-model usage goes (PostgreSQL `ai_usage_daily` in distributed mode). */
export interface AiUsageSink {
  add(clientId: string, day: string, rows: AiUsageIncrement[]): Promise<void>;
}

/** The calls of one analysis summed per (model, stage). */
export function usageIncrements(calls: readonly AiCall[]): AiUsageIncrement[] {
  const by = new Map<string, AiUsageIncrement>();
  for (const c of calls) {
    const key = `${c.model}\u0000${c.stage}`;
    const row = by.get(key) ?? {
      model: c.model,
      stage: c.stage,
      calls: 0,
      failedCalls: 0,
      promptTokens: 0,
      completionTokens: 0,
      thinkingTokens: 0,
      costMicroUsd: 0,
    };
    row.calls += 1;
    if (c.failed) row.failedCalls += 1;
    row.promptTokens += c.usage.prompt_tokens;
    row.completionTokens += c.usage.completion_tokens;
    row.thinkingTokens += c.usage.thinking_tokens ?? 0;
    row.costMicroUsd += toMicroUsd(c.cost_usd ?? 0);
    by.set(key, row);
  }
  return [...by.values()];
}
