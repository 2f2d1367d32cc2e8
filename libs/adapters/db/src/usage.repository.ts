import { parseIntId } from './db-ids';
import { toApiCallRecord } from './db.mappers';
import type { ApiCallRecord, UsageDailyRecord } from './db.types';
import { Prisma, type PrismaClient } from './generated/prisma/client';

/** Counter increments for one (key, UTC day, endpoint) row; absent fields add 0. */
export interface UsageCounters {
  calls?: number;
  aiRequests?: number;
  inputTokens?: number;
  outputTokens?: number;
  bytesIn?: number;
  bytesOut?: number;
  alertsSent?: number;
}

export interface RecordCallInput {
  apiKeyId: string;
  endpoint: string;
  method: string;
  statusCode: number;
  cost?: number;
  inputTokens?: number;
  outputTokens?: number;
  bytesIn?: number;
  bytesOut?: number;
  aiRequests?: number;
  alertsSent?: number;
  at?: Date;
}

/** `YYYY-MM-DD` of a date in UTC: the day a counter belongs to. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function n(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0;
}

/** INSERT … ON CONFLICT DO UPDATE with increments: concurrent calls never lose a count. */
function dailyUpsert(keyId: number, day: string, endpoint: string, c: UsageCounters): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "usage_daily" ("api_key_id", "day", "endpoint", "calls", "ai_requests", "input_tokens",
                               "output_tokens", "bytes_in", "bytes_out", "alerts_sent")
    VALUES (${keyId}::int, ${day}::date, ${endpoint}, ${n(c.calls)}::int, ${n(c.aiRequests)}::int,
            ${n(c.inputTokens)}::bigint, ${n(c.outputTokens)}::bigint, ${n(c.bytesIn)}::bigint,
            ${n(c.bytesOut)}::bigint, ${n(c.alertsSent)}::int)
    ON CONFLICT ("api_key_id", "day", "endpoint") DO UPDATE SET
      "calls" = "usage_daily"."calls" + EXCLUDED."calls",
      "ai_requests" = "usage_daily"."ai_requests" + EXCLUDED."ai_requests",
      "input_tokens" = "usage_daily"."input_tokens" + EXCLUDED."input_tokens",
      "output_tokens" = "usage_daily"."output_tokens" + EXCLUDED."output_tokens",
      "bytes_in" = "usage_daily"."bytes_in" + EXCLUDED."bytes_in",
      "bytes_out" = "usage_daily"."bytes_out" + EXCLUDED."bytes_out",
      "alerts_sent" = "usage_daily"."alerts_sent" + EXCLUDED."alerts_sent"`;
}

export class UsageRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * One API call: the per-call row (as the earlier system kept) and the daily counters (calls + 1 and
   * the given increments), in one statement, so atomic without a transaction: a batch transaction waits at most
   * 2 s for a pooled connection and, on a loaded gateway, dropped rows ("Unable to start a transaction in the
   * given time"). Unknown key id → nothing recorded.
   */
  async recordCall(input: RecordCallInput): Promise<void> {
    const keyId = parseIntId(input.apiKeyId);
    if (keyId === undefined) return;
    const at = input.at ?? new Date();
    await this.prisma.$executeRaw`
      WITH "call" AS (
        INSERT INTO "api_usage" ("api_key_id", "endpoint", "method", "status_code", "cost", "input_tokens",
                                 "output_tokens", "timestamp")
        VALUES (${keyId}::int, ${input.endpoint}, ${input.method}, ${input.statusCode}::int,
                ${input.cost ?? 0}::double precision, ${n(input.inputTokens)}::int, ${n(input.outputTokens)}::int,
                ${at}::timestamptz)
      )
      ${dailyUpsert(keyId, utcDay(at), input.endpoint, { ...input, calls: 1 })}`;
  }

  /** Adds to the daily counters only (the worker's AI requests, tokens, alerts, bytes from job results). */
  async addDaily(apiKeyId: string, endpoint: string, counters: UsageCounters, at: Date = new Date()): Promise<void> {
    const keyId = parseIntId(apiKeyId);
    if (keyId === undefined) return;
    await this.upsertDaily(keyId, utcDay(at), endpoint, counters);
  }

  private upsertDaily(keyId: number, day: string, endpoint: string, c: UsageCounters) {
    return this.prisma.$executeRaw(dailyUpsert(keyId, day, endpoint, c));
  }

  /** The key's last `limit` calls, newest first (GET /api/usage `usage`). */
  async recentCalls(apiKeyId: string, limit = 100): Promise<ApiCallRecord[]> {
    const keyId = parseIntId(apiKeyId);
    if (keyId === undefined) return [];
    const rows = await this.prisma.apiUsage.findMany({
      where: { apiKeyId: keyId },
      orderBy: [{ timestamp: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(toApiCallRecord);
  }

  /** Total per-call rows of the key (the earlier `usage_count`). */
  async countCalls(apiKeyId: string): Promise<number> {
    const keyId = parseIntId(apiKeyId);
    if (keyId === undefined) return 0;
    return this.prisma.apiUsage.count({ where: { apiKeyId: keyId } });
  }

  /** Daily counters of the key for the last `days` UTC days (today included), newest day first. */
  async daily(apiKeyId: string, days = 30, now: Date = new Date()): Promise<UsageDailyRecord[]> {
    const keyId = parseIntId(apiKeyId);
    if (keyId === undefined) return [];
    const from = new Date(`${utcDay(now)}T00:00:00.000Z`);
    from.setUTCDate(from.getUTCDate() - (Math.max(1, days) - 1));
    const rows = await this.prisma.usageDaily.findMany({
      where: { apiKeyId: keyId, day: { gte: from } },
      orderBy: [{ day: 'desc' }, { endpoint: 'asc' }],
    });
    return rows.map((r) => ({
      apiKeyId: String(r.apiKeyId),
      day: utcDay(r.day),
      endpoint: r.endpoint,
      calls: r.calls,
      aiRequests: r.aiRequests,
      inputTokens: Number(r.inputTokens),
      outputTokens: Number(r.outputTokens),
      bytesIn: Number(r.bytesIn),
      bytesOut: Number(r.bytesOut),
      alertsSent: r.alertsSent,
    }));
  }
}
