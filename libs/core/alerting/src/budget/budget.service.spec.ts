import { AlertLanguage, AnalysisStage, type AiCall } from '@vigint/contracts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { budgetNoticeText, type BudgetNotice } from './budget-notice';
import { BudgetService } from './budget.service';
import { FileSpendStore, MemorySpendStore } from './spend-store';
import { aiUsageCsv, aiUsageReport, usageRange } from './usage-report';

const call = (over: Partial<AiCall> = {}): AiCall => ({
  stage: AnalysisStage.Screen,
  model: 'gemini-3.5-flash-lite',
  images: 3,
  image_bytes: 1000,
  usage: { prompt_tokens: 1000, completion_tokens: 300, total_tokens: 1300, thinking_tokens: 200 },
  duration_ms: 10,
  cost_usd: 0.001,
  ...over,
});

function setup(over: Partial<ConstructorParameters<typeof BudgetService>[0]> = {}) {
  let now = Date.parse('2026-12-02T10:00:00Z');
  const notices: BudgetNotice[] = [];
  const store = new MemorySpendStore();
  const svc = new BudgetService({
    store,
    defaults: { dailyUsd: 1, monthlyUsd: 5 },
    notifier: { notify: async (n) => void notices.push(n) },
    now: () => now,
    ...over,
  });
  return { svc, store, notices, setNow: (iso: string) => (now = Date.parse(iso)) };
}

describe('BudgetService', () => {
  it('allows calls under the cap and stops at the daily cap, naming the period', async () => {
    const { svc } = setup();
    expect(await svc.check('c1')).toEqual({ allowed: true });
    await svc.record('c1', 0.6, [call()]);
    expect(await svc.check('c1')).toEqual({ allowed: true });
    await svc.record('c1', 0.4, [call()]);
    expect(await svc.check('c1')).toEqual({ allowed: false, period: 'day' });
    // Another client has its own counters.
    expect(await svc.check('c2')).toEqual({ allowed: true });
  });

  it('a new UTC day starts from zero; the month keeps counting and stops at its own cap', async () => {
    const { svc, setNow } = setup({ defaults: { dailyUsd: 1, monthlyUsd: 1.5 } });
    await svc.record('c1', 1, [call()]);
    expect((await svc.check('c1')).period).toBe('day');
    setNow('2026-12-03T00:00:01Z');
    expect(await svc.check('c1')).toEqual({ allowed: true });
    await svc.record('c1', 0.5, [call()]);
    expect(await svc.check('c1')).toEqual({ allowed: false, period: 'month' });
    setNow('2027-01-01T00:00:01Z');
    expect(await svc.check('c1')).toEqual({ allowed: true });
  });

  it("a client's own caps override the defaults; null falls back to them; 0 means no AI at all", async () => {
    const budgets: Record<string, { dailyUsd: number | null; monthlyUsd: number | null }> = {
      rich: { dailyUsd: 100, monthlyUsd: null },
      none: { dailyUsd: 0, monthlyUsd: null },
    };
    const { svc } = setup({ limits: { getBudget: async (id) => budgets[id] } });
    expect(await svc.limitsOf('rich')).toEqual({
      dailyUsd: 100,
      monthlyUsd: 5,
      source: { daily: 'client', monthly: 'default' },
    });
    expect(await svc.check('none')).toEqual({ allowed: false, period: 'day' });
    const plain = new BudgetService({ store: new MemorySpendStore() });
    expect(await plain.limitsOf('x')).toEqual({ source: { daily: 'none', monthly: 'none' } });
    expect(await plain.check('x')).toEqual({ allowed: true });
  });

  it('tells the owner once at 80 % and once at 100 % per period, highest threshold only after a jump', async () => {
    const { svc, notices, setNow } = setup();
    await svc.record('c1', 0.5, [call()]);
    expect(notices).toEqual([]);
    await svc.record('c1', 0.35, [call()]);
    await svc.record('c1', 0.05, [call()]);
    expect(notices.map((n) => `${n.period}:${n.percent}`)).toEqual(['day:80']);
    await svc.record('c1', 0.2, [call()]);
    await svc.record('c1', 0.2, [call()]);
    expect(notices.map((n) => `${n.period}:${n.percent}`)).toEqual(['day:80', 'day:100']);
    expect(notices[1]).toMatchObject({ clientId: 'c1', periodKey: '2026-12-02', limitUsd: 1 });
    expect(notices[1]!.spentUsd).toBeCloseTo(1.1, 6);
    // Next day, a jump straight past 100 %: one notice (100), not two.
    setNow('2026-12-03T09:00:00Z');
    await svc.record('c1', 1.2, [call()]);
    expect(notices.slice(2).map((n) => `${n.period}:${n.percent}:${n.periodKey}`)).toEqual(['day:100:2026-12-03']);
  });

  it('counters unavailable: the analysis goes ahead (an alert matters more than the cap)', async () => {
    const broken = {
      add: async () => Promise.reject(new Error('down')),
      totals: async () => Promise.reject(new Error('down')),
      claimNotice: async () => false,
    };
    const svc = new BudgetService({ store: broken, defaults: { dailyUsd: 1 } });
    expect(await svc.check('c1')).toEqual({ allowed: true });
  });

  it('writes the per-model usage of every analysis, failed calls and thinking tokens included', async () => {
    const rows: unknown[] = [];
    const { svc } = setup({ usage: { add: async (clientId, day, r) => void rows.push({ clientId, day, r }) } });
    await svc.record('c1', 0.003, [
      call(),
      call({ stage: AnalysisStage.Confirm, model: 'gemini-3.8-flash', cost_usd: 0.002 }),
      call({ stage: AnalysisStage.Confirm, model: 'gemini-3.8-flash', failed: true, cost_usd: 0.0005 }),
    ]);
    expect(rows).toEqual([
      {
        clientId: 'c1',
        day: '2026-12-02',
        r: [
          {
            model: 'gemini-3.5-flash-lite',
            stage: 'screen',
            calls: 1,
            failedCalls: 0,
            promptTokens: 1000,
            completionTokens: 300,
            thinkingTokens: 200,
            costMicroUsd: 1000,
          },
          {
            model: 'gemini-3.8-flash',
            stage: 'confirm',
            calls: 2,
            failedCalls: 1,
            promptTokens: 2000,
            completionTokens: 600,
            thinkingTokens: 400,
            costMicroUsd: 2500,
          },
        ],
      },
    ]);
  });
});

describe('local counter (FileSpendStore)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the spend and the sent notices across restarts of the agent', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigint-spend-'));
    const file = join(dir, 'ai-spend.json');
    const notices: BudgetNotice[] = [];
    const make = () =>
      new BudgetService({
        store: new FileSpendStore(file),
        defaults: { dailyUsd: 1 },
        notifier: { notify: async (n) => void notices.push(n) },
        now: () => Date.parse('2026-12-02T10:00:00Z'),
      });
    await make().record('local', 0.9, [call()]);
    expect(notices).toHaveLength(1);
    const again = make();
    expect(await again.status('local')).toMatchObject({ spentDayUsd: 0.9 });
    await again.record('local', 0.01, [call()]);
    expect(notices).toHaveLength(1);
    await again.record('local', 0.2, [call()]);
    expect(await make().check('local')).toEqual({ allowed: false, period: 'day' });
    expect(notices.map((n) => n.percent)).toEqual([80, 100]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('local.day', '2026-12-02');
  });
});

describe('usage report and notices', () => {
  it('JSON totals and CSV with a header, one row per day, model and stage', () => {
    const report = aiUsageReport('7', '2026-12-01', '2026-12-02', [
      {
        day: '2026-12-01',
        model: 'gemini-3.8-flash',
        stage: 'confirm',
        calls: 2,
        failedCalls: 1,
        promptTokens: 2000,
        completionTokens: 900,
        thinkingTokens: 600,
        costMicroUsd: 4875,
      },
      {
        day: '2026-12-02',
        model: 'm,"odd"',
        stage: 'screen',
        calls: 1,
        failedCalls: 0,
        promptTokens: 10,
        completionTokens: 5,
        thinkingTokens: 0,
        costMicroUsd: 1,
      },
    ]);
    expect(report.totals).toEqual({
      calls: 3,
      prompt_tokens: 2010,
      completion_tokens: 905,
      thinking_tokens: 600,
      total_tokens: 2915,
      cost_usd: 0.004876,
    });
    const csv = aiUsageCsv(report).split('\r\n');
    expect(csv[0]).toBe(
      'day,model,stage,calls,failed_calls,prompt_tokens,completion_tokens,thinking_tokens,total_tokens,cost_usd',
    );
    expect(csv[1]).toBe('2026-12-01,gemini-3.8-flash,confirm,2,1,2000,900,600,2900,0.004875');
    expect(csv[2]).toBe('2026-12-02,"m,""odd""",screen,1,0,10,5,0,15,0.000001');
  });

  it('the date range defaults to 30 days and names the bad field', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(usageRange({}, now)).toEqual({ from: '2026-11-03', to: '2026-12-02' });
    expect(usageRange({ from: '2026-02-30' }, now)).toMatchObject({ field: 'from' });
    expect(usageRange({ from: '2026-12-05', to: '2026-12-01' }, now)).toMatchObject({ field: 'from' });
    expect(usageRange({ from: '2024-01-01', to: '2026-12-01' }, now)).toMatchObject({
      error: 'at most 366 days per report',
    });
  });

  it('notices read in the owner language', () => {
    const n: BudgetNotice = {
      clientId: '3',
      period: 'month',
      periodKey: '2026-12',
      percent: 100,
      spentUsd: 10.01,
      limitUsd: 10,
    };
    expect(budgetNoticeText(n, AlertLanguage.Fr).subject).toBe('Vigint : budget IA du mois atteint ($10.01 / $10.00)');
    expect(budgetNoticeText({ ...n, percent: 80 }, AlertLanguage.En).subject).toBe(
      'Vigint: 80% of the monthly AI budget used',
    );
  });
});
