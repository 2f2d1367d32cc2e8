import { Type, type Static } from '@sinclair/typebox';

const Usd = (description: string) =>
  Type.Union([Type.Number({ minimum: 0, maximum: 1_000_000 }), Type.Null()], { description });

/** `PUT /admin/clients/{id}/budget`: both caps in USD; null = the default from the environment. */
export const AdminBudgetBody = Type.Object(
  {
    daily_usd: Usd('AI spend cap per UTC day in USD; 0 = no AI calls (motion-only alerts); null = AI_BUDGET_DAILY_USD'),
    monthly_usd: Usd('AI spend cap per UTC month in USD; null = AI_BUDGET_MONTHLY_USD'),
  },
  { additionalProperties: false },
);
export type AdminBudgetBody = Static<typeof AdminBudgetBody>;

const Source = Type.Union([Type.Literal('client'), Type.Literal('default'), Type.Literal('none')]);

/** A client's AI budget and what it has spent in the current UTC day and month. */
export const BudgetStatusReply = Type.Object({
  client_id: Type.String(),
  /** The client's own caps as stored (null = default). */
  stored: Type.Object({
    daily_usd: Type.Union([Type.Number(), Type.Null()]),
    monthly_usd: Type.Union([Type.Number(), Type.Null()]),
  }),
  /** The caps that apply (null = no cap) and where each comes from. */
  daily_usd: Type.Union([Type.Number(), Type.Null()]),
  monthly_usd: Type.Union([Type.Number(), Type.Null()]),
  source: Type.Object({ daily: Source, monthly: Source }),
  day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
  month: Type.String({ description: 'YYYY-MM (UTC)' }),
  spent_day_usd: Type.Number(),
  spent_month_usd: Type.Number(),
});
export type BudgetStatusReply = Static<typeof BudgetStatusReply>;

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC)' });

/** `GET /api/usage/daily?from=&to=&format=`: at most 366 days; default the last 30. */
export const AiUsageDailyQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
});
export type AiUsageDailyQuery = Static<typeof AiUsageDailyQuery>;

export const AiUsageDailyRow = Type.Object({
  day: Type.String(),
  model: Type.String(),
  stage: Type.String({ description: 'screen or confirm' }),
  calls: Type.Integer(),
  failed_calls: Type.Integer({ description: 'blocked, cut off or bad replies whose tokens were billed' }),
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer({ description: 'output tokens as billed, thinking included' }),
  thinking_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
  cost_usd: Type.Number(),
});
export type AiUsageDailyRow = Static<typeof AiUsageDailyRow>;

export const AiUsageDailyReply = Type.Object({
  client_id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  rows: Type.Array(AiUsageDailyRow),
  totals: Type.Object({
    calls: Type.Integer(),
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    thinking_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    cost_usd: Type.Number(),
  }),
});
export type AiUsageDailyReply = Static<typeof AiUsageDailyReply>;
