import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

// INCRBY both counters and set their expiry in one script: every gateway and worker shares the totals,
// and a counter never outlives its period by more than a day.
const ADD_LUA = `
local d = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local m = redis.call('INCRBY', KEYS[2], ARGV[1])
if redis.call('TTL', KEYS[2]) < 0 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {d, m}
`;

const DAY_TTL_SECONDS = 2 * 24 * 3600;
const MONTH_TTL_SECONDS = 32 * 24 * 3600;

/**
 * Each client's AI spend per UTC day and month in integer micro-dollars (INCRBY: exact, atomic across
 * instances), keys `<prefix>:limit:spend:<client>:d:<YYYY-MM-DD>` and `…:m:<YYYY-MM>`, expiring after their
 * period. Budget notices are claimed with SET NX (`<prefix>:limit:spend-notice:…`): one e-mail per threshold and
 * period however many workers cross it at once. Satisfies core's SpendStore (libs/core/alerting budget/).
 */
export class RedisSpendStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
  ) {}

  private keys(clientId: string, at: Date): [string, string] {
    const day = at.toISOString().slice(0, 10);
    const base = `${this.prefix}:limit:spend:${clientId}`;
    return [`${base}:d:${day}`, `${base}:m:${day.slice(0, 7)}`];
  }

  async add(clientId: string, microUsd: number, at: Date): Promise<{ dayMicroUsd: number; monthMicroUsd: number }> {
    const [d, m] = (await this.redis.eval(
      ADD_LUA,
      2,
      ...this.keys(clientId, at),
      Math.max(0, Math.round(microUsd)),
      DAY_TTL_SECONDS,
      MONTH_TTL_SECONDS,
    )) as [number, number];
    return { dayMicroUsd: Number(d), monthMicroUsd: Number(m) };
  }

  async totals(clientId: string, at: Date): Promise<{ dayMicroUsd: number; monthMicroUsd: number }> {
    const [d, m] = await this.redis.mget(...this.keys(clientId, at));
    return { dayMicroUsd: Number(d ?? 0), monthMicroUsd: Number(m ?? 0) };
  }

  async claimNotice(clientId: string, period: 'day' | 'month', periodKey: string, percent: number): Promise<boolean> {
    const ttl = period === 'day' ? DAY_TTL_SECONDS : MONTH_TTL_SECONDS;
    const ok = await this.redis.set(
      `${this.prefix}:limit:spend-notice:${clientId}:${period}:${periodKey}:${percent}`,
      '1',
      'EX',
      ttl,
      'NX',
    );
    return ok === 'OK';
  }
}
