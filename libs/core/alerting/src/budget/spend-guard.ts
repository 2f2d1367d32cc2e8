import type { AiCall } from '@vigint/contracts';

export type BudgetPeriod = 'day' | 'month';

export interface BudgetCheck {
  allowed: boolean;
  /** The period whose cap is reached when not allowed. */
  period?: BudgetPeriod;
}

/**
 * A per-client AI spend budget, checked before the first AI call of an analysis and charged after it.
 * Implemented by SpendBudgetService (budget/spend-budget.service.ts) over a shared or local counter store.
 */
export interface SpendGuard {
  check(clientId: string): Promise<BudgetCheck>;
  record(clientId: string, usd: number, calls: readonly AiCall[]): Promise<void>;
}
