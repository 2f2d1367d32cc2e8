import { JsonFileWriter, readJsonFile } from '@vigint/files';
import type { BudgetPeriod } from './spend-guard';

/** A client's AI spend in the current UTC day and month, in integer micro-dollars (exact sums). */
export interface SpendTotals {
  dayMicroUsd: number;
  monthMicroUsd: number;
}

/**
 * The spend counters a budget is checked against. Distributed mode: Redis (libs/adapters/queue,
 * spend.store.ts), shared by every gateway and worker; local mode: FileSpendStore below.
 */
export interface SpendStore {
  /** Adds to the day and month counters and returns the totals after the increment (atomic). */
  add(clientId: string, microUsd: number, at: Date): Promise<SpendTotals>;
  totals(clientId: string, at: Date): Promise<SpendTotals>;
  /** True for the first caller only, per client, period, period key and threshold: one notice each. */
  claimNotice(clientId: string, period: BudgetPeriod, periodKey: string, percent: number): Promise<boolean>;
}

export const toMicroUsd = (usd: number): number => Math.max(0, Math.round(usd * 1_000_000));
export const fromMicroUsd = (micro: number): number => micro / 1_000_000;

/** The UTC day (YYYY-MM-DD) and month (YYYY-MM) a spend belongs to: budgets reset at midnight UTC. */
export function spendPeriods(at: Date): { day: string; month: string } {
  const day = at.toISOString().slice(0, 10);
  return { day, month: day.slice(0, 7) };
}

interface ClientSpend {
  day: string;
  month: string;
  dayMicroUsd: number;
  monthMicroUsd: number;
  notices: string[];
}

/** One process's counters in memory (tests, and the base of FileSpendStore). */
export class MemorySpendStore implements SpendStore {
  protected data: Record<string, ClientSpend> = {};

  private current(clientId: string, at: Date): ClientSpend {
    const { day, month } = spendPeriods(at);
    const s = this.data[clientId];
    // A new day or month starts from zero; older periods are dropped (nothing kept beyond the current ones).
    const fresh: ClientSpend = {
      day,
      month,
      dayMicroUsd: s && s.day === day ? s.dayMicroUsd : 0,
      monthMicroUsd: s && s.month === month ? s.monthMicroUsd : 0,
      notices: (s?.notices ?? []).filter((n) => n.includes(`:${day}:`) || n.includes(`:${month}:`)),
    };
    this.data[clientId] = fresh;
    return fresh;
  }

  async add(clientId: string, microUsd: number, at: Date): Promise<SpendTotals> {
    const s = this.current(clientId, at);
    s.dayMicroUsd += Math.max(0, Math.round(microUsd));
    s.monthMicroUsd += Math.max(0, Math.round(microUsd));
    await this.persist();
    return { dayMicroUsd: s.dayMicroUsd, monthMicroUsd: s.monthMicroUsd };
  }

  async totals(clientId: string, at: Date): Promise<SpendTotals> {
    await this.load();
    const s = this.current(clientId, at);
    return { dayMicroUsd: s.dayMicroUsd, monthMicroUsd: s.monthMicroUsd };
  }

  async claimNotice(clientId: string, period: BudgetPeriod, periodKey: string, percent: number): Promise<boolean> {
    const s = this.data[clientId];
    if (!s) return false;
    const key = `${period}:${periodKey}:${percent}`;
    if (s.notices.includes(key)) return false;
    s.notices.push(key);
    await this.persist();
    return true;
  }

  protected async load(): Promise<void> {}
  protected async persist(): Promise<void> {}
}

/**
 * Local mode's counter: one JSON file beside the outbox (`ai-spend.json`), so a restarted agent keeps the
 * day's and month's spend and does not send the same 80 %/100 % notice twice. One agent process per file.
 */
export class FileSpendStore extends MemorySpendStore {
  private loaded = false;
  private readonly writer: JsonFileWriter;

  constructor(private readonly file: string) {
    super();
    this.writer = new JsonFileWriter(file);
  }

  protected override async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const parsed = await readJsonFile<unknown>(this.file, undefined);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        this.data = parsed as Record<string, ClientSpend>;
    } catch {
      // No file yet, or a damaged one: start from zero (the worst case is one extra notice).
    }
  }

  protected override persist(): Promise<void> {
    return this.writer.write(() => this.data);
  }

  override async add(clientId: string, microUsd: number, at: Date): Promise<SpendTotals> {
    await this.load();
    return super.add(clientId, microUsd, at);
  }

  override async claimNotice(
    clientId: string,
    period: BudgetPeriod,
    periodKey: string,
    percent: number,
  ): Promise<boolean> {
    await this.load();
    return super.claimNotice(clientId, period, periodKey, percent);
  }
}
