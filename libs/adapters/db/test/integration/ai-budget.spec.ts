import { createTestDatabase, type TestDatabase } from '../../src/test-database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/index';

let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  tdb = await createTestDatabase('aibudget');
  db = createDb(tdb.url);
});

afterAll(async () => {
  await db?.close();
  await tdb?.drop();
});

const row = (over: Record<string, unknown> = {}) => ({
  model: 'gemini-3.8-flash',
  stage: 'confirm',
  calls: 1,
  failedCalls: 0,
  promptTokens: 1500,
  completionTokens: 700,
  thinkingTokens: 500,
  costMicroUsd: 3750,
  ...over,
});

describe('AiBudgetRepository', () => {
  it('stores a client budget (null = default), round-trips it, and it goes with the client', async () => {
    const { client } = await db.clients.create({ name: 'Budget', email: 'budget@ai.test' });
    expect(await db.aiBudget.getBudget(client.id)).toBeUndefined();
    await db.aiBudget.setBudget(client.id, { dailyUsd: 2.5, monthlyUsd: null });
    expect(await db.aiBudget.getBudget(client.id)).toMatchObject({ dailyUsd: 2.5, monthlyUsd: null });
    await db.aiBudget.setBudget(client.id, { dailyUsd: null, monthlyUsd: 40 });
    expect(await db.aiBudget.getBudget(client.id)).toMatchObject({ dailyUsd: null, monthlyUsd: 40 });
    expect(await db.aiBudget.getBudget('not-an-id')).toBeUndefined();
    await db.aiBudget.add(client.id, '2026-12-02', [row()]);
    expect(await db.clients.delete(client.id)).toBe(true);
    expect(await db.aiBudget.getBudget(client.id)).toBeUndefined();
    expect(await db.aiBudget.dailyUsage(client.id, '2026-12-01', '2026-12-31')).toEqual([]);
  });

  it('adds usage rows with increments from concurrent writers, and reads a range per tenant', async () => {
    const { client } = await db.clients.create({ name: 'Usage', email: 'usage@ai.test' });
    const { client: other } = await db.clients.create({ name: 'Other', email: 'other@ai.test' });
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.aiBudget.add(client.id, '2026-12-02', [
          row(),
          row({ model: 'gemini-3.5-flash-lite', stage: 'screen', thinkingTokens: 0 }),
        ]),
      ),
    );
    await db.aiBudget.add(client.id, '2026-11-30', [row({ failedCalls: 1 })]);
    await db.aiBudget.add(other.id, '2026-12-02', [row()]);
    const rows = await db.aiBudget.dailyUsage(client.id, '2026-12-01', '2026-12-02');
    expect(rows).toEqual(
      [
        {
          day: '2026-12-02',
          ...row({
            calls: 20,
            promptTokens: 30_000,
            completionTokens: 14_000,
            thinkingTokens: 10_000,
            costMicroUsd: 75_000,
          }),
        },
        {
          day: '2026-12-02',
          ...row({
            model: 'gemini-3.5-flash-lite',
            stage: 'screen',
            calls: 20,
            promptTokens: 30_000,
            completionTokens: 14_000,
            thinkingTokens: 0,
            costMicroUsd: 75_000,
          }),
        },
      ].sort((a, b) => a.model.localeCompare(b.model)),
    );
    expect(await db.aiBudget.dailyUsage(client.id, '2026-11-30', '2026-11-30')).toEqual([
      { day: '2026-11-30', ...row({ failedCalls: 1 }) },
    ]);
  });
});
