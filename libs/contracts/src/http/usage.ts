import { Type, type Static } from '@sinclair/typebox';
import { DailyCounter } from './common';

export const UsageRow = Type.Object({
  timestamp: Type.String({ description: 'ISO 8601' }),
  endpoint: Type.String(),
  method: Type.String(),
  status_code: Type.Integer(),
  cost: Type.Number(),
});
export type UsageRow = Static<typeof UsageRow>;

/** `GET /api/usage`: the last 100 calls newest first (earlier shape) plus per-day counters. */
export const UsageReply = Type.Object({
  api_key_id: Type.Union([Type.String(), Type.Null()]),
  client_id: Type.String(),
  client_name: Type.String(),
  usage_count: Type.Integer(),
  usage: Type.Array(UsageRow),
  daily: Type.Array(DailyCounter),
  totals: Type.Object({
    requests: Type.Integer(),
    ai_requests: Type.Integer(),
    ai_tokens: Type.Integer(),
    alerts: Type.Integer(),
    cost: Type.Number(),
  }),
});
export type UsageReply = Static<typeof UsageReply>;
