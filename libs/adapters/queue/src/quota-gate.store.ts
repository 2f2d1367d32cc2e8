import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

// Keeps the later of the two block ends and expires the key exactly then (PEXPIREAT): every process sees
// the block, and nothing is left behind once the quota window has reset. Returns 1 for the first blocker.
const BLOCK_LUA = `
local cur = redis.call('GET', KEYS[1])
local untilMs = tonumber(ARGV[1])
if cur and tonumber(cur) >= untilMs then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
if cur then return 0 end
return 1
`;

/**
 * Models whose daily quota is used up, shared by every gateway and worker: key
 * `<prefix>:ai-quota:<model>` holds the epoch ms of the reset and expires at that moment. Satisfies
 * core's QuotaGate (libs/core/alerting, analysis/quota-gate.ts) structurally.
 */
export class RedisQuotaGate {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
    private readonly now: () => number = Date.now,
  ) {}

  private key(model: string): string {
    return `${this.prefix}:ai-quota:${model}`;
  }

  async blockedUntil(model: string): Promise<number | undefined> {
    const v = await this.redis.get(this.key(model));
    const until = v === null ? NaN : Number(v);
    return Number.isFinite(until) && until > this.now() ? until : undefined;
  }

  /** True for the first process to block the model in this window (it tells the operator). */
  async block(model: string, until: number): Promise<boolean> {
    if (until <= this.now()) return false;
    return (await this.redis.eval(BLOCK_LUA, 1, this.key(model), Math.round(until))) === 1;
  }
}
