import type { AiCall } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import { usageIncrements, type AiUsageSink } from './ai-usage';
import type { BudgetNotifier } from './budget-notice';
import type { BudgetCheck, BudgetPeriod, SpendGuard } from './spend-guard';
import { fromMicroUsd, spendPeriods, toMicroUsd, type SpendStore, type SpendTotals } from './spend-store';

/** A client's own caps as stored (PostgreSQL `client_budgets`): null = the default from the environment. */
export interface StoredBudget {
  dailyUsd: number | null;
  monthlyUsd: number | null;
}

export interface BudgetLimitStore {
  getBudget(clientId: string): Promise<StoredBudget | undefined>;
}

/** USD caps that apply; undefined = no cap. */
export interface BudgetLimits {
  dailyUsd?: number;
  monthlyUsd?: number;
  source: { daily: 'client' | 'default' | 'none'; monthly: 'client' | 'default' | 'none' };
}

export interface BudgetStatus {
  limits: BudgetLimits;
  day: string;
  month: string;
  spentDayUsd: number;
  spentMonthUsd: number;
}

export interface BudgetServiceOptions {
  store: SpendStore;
  /** Per-client caps; absent (local mode) → the defaults only. */
  limits?: BudgetLimitStore;
  /** AI_BUDGET_DAILY_USD / AI_BUDGET_MONTHLY_USD. */
  defaults?: { dailyUsd?: number; monthlyUsd?: number };
  notifier?: BudgetNotifier;
  usage?: AiUsageSink;
  log?: Logger;
  /** How long a client's caps are cached per process (an admin change applies within this, default 30 s). */
  cacheMs?: number;
  now?: () => number;
}

const THRESHOLDS = [80, 100] as const;

/**
 * The per-client AI spend budget (SpendGuard): a daily and a monthly cap in USD, checked before each
 * analysis against counters every instance shares, charged after it; at 80 % and 100 % of a cap the
 * owner is told once per period (the store's claimNotice decides across instances).
 */
export class BudgetService implements SpendGuard {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly cache = new Map<string, { at: number; limits: BudgetLimits }>();

  constructor(private readonly o: BudgetServiceOptions) {
    this.log = (o.log ?? silentLogger).child({ module: 'budget' });
    this.now = o.now ?? Date.now;
  }

  /** Forgets a client's cached caps (after the admin route changed them in this process). */
  invalidate(clientId: string): void {
    this.cache.delete(clientId);
  }

  async limitsOf(clientId: string): Promise<BudgetLimits> {
    const hit = this.cache.get(clientId);
    if (hit && this.now() - hit.at < (this.o.cacheMs ?? 30_000)) return hit.limits;
    const stored = await this.o.limits?.getBudget(clientId);
    const pick = (own: number | null | undefined, def: number | undefined) =>
      own !== null && own !== undefined
        ? { value: own, source: 'client' as const }
        : def !== undefined
          ? { value: def, source: 'default' as const }
          : { value: undefined, source: 'none' as const };
    const d = pick(stored?.dailyUsd, this.o.defaults?.dailyUsd);
    const m = pick(stored?.monthlyUsd, this.o.defaults?.monthlyUsd);
    const limits: BudgetLimits = {
      ...(d.value !== undefined ? { dailyUsd: d.value } : {}),
      ...(m.value !== undefined ? { monthlyUsd: m.value } : {}),
      source: { daily: d.source, monthly: m.source },
    };
    this.cache.set(clientId, { at: this.now(), limits });
    return limits;
  }

  async status(clientId: string): Promise<BudgetStatus> {
    const at = new Date(this.now());
    const [limits, totals] = await Promise.all([this.limitsOf(clientId), this.o.store.totals(clientId, at)]);
    const { day, month } = spendPeriods(at);
    return {
      limits,
      day,
      month,
      spentDayUsd: fromMicroUsd(totals.dayMicroUsd),
      spentMonthUsd: fromMicroUsd(totals.monthMicroUsd),
    };
  }

  async check(clientId: string): Promise<BudgetCheck> {
    try {
      const limits = await this.limitsOf(clientId);
      if (limits.dailyUsd === undefined && limits.monthlyUsd === undefined) return { allowed: true };
      const t = await this.o.store.totals(clientId, new Date(this.now()));
      const over = this.overCap(limits, t);
      return over ? { allowed: false, period: over } : { allowed: true };
    } catch (err) {
      // Counters unreachable: analyse anyway (an alert matters more than a few cents), and say so.
      this.log.warn({ clientId, err: (err as Error).message }, 'AI budget not checked: counters unavailable');
      return { allowed: true };
    }
  }

  async record(clientId: string, usd: number, calls: readonly AiCall[]): Promise<void> {
    const at = new Date(this.now());
    const { day, month } = spendPeriods(at);
    const micro = toMicroUsd(usd);
    const totals = micro > 0 ? await this.o.store.add(clientId, micro, at) : undefined;
    if (this.o.usage && calls.length > 0) await this.o.usage.add(clientId, day, usageIncrements(calls));
    if (!totals) return;
    const limits = await this.limitsOf(clientId);
    const checks: [BudgetPeriod, string, number | undefined, number][] = [
      ['day', day, limits.dailyUsd, totals.dayMicroUsd],
      ['month', month, limits.monthlyUsd, totals.monthMicroUsd],
    ];
    for (const [period, key, limit, spentMicro] of checks) {
      if (limit === undefined || limit <= 0) continue;
      // Only the highest threshold passed is announced: 100 % after a jump from 70 % says it all.
      const passed = THRESHOLDS.filter((p) => spentMicro >= (toMicroUsd(limit) * p) / 100);
      const percent = passed[passed.length - 1];
      if (percent === undefined) continue;
      if (!(await this.o.store.claimNotice(clientId, period, key, percent))) continue;
      if (percent === 100) await this.o.store.claimNotice(clientId, period, key, 80);
      this.log.warn(
        { clientId, period, periodKey: key, percent, spentUsd: fromMicroUsd(spentMicro), limitUsd: limit },
        'AI budget threshold passed',
      );
      await this.o.notifier
        ?.notify({ clientId, period, periodKey: key, percent, spentUsd: fromMicroUsd(spentMicro), limitUsd: limit })
        .catch((err: unknown) =>
          this.log.error({ clientId, err: (err as Error).message }, 'AI budget notice not sent'),
        );
    }
  }

  private overCap(limits: BudgetLimits, t: SpendTotals): BudgetPeriod | undefined {
    if (limits.dailyUsd !== undefined && t.dayMicroUsd >= toMicroUsd(limits.dailyUsd)) return 'day';
    if (limits.monthlyUsd !== undefined && t.monthMicroUsd >= toMicroUsd(limits.monthlyUsd)) return 'month';
    return undefined;
  }
}
