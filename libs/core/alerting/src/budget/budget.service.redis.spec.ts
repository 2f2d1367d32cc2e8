import { AnalysisStage } from '@vigint/contracts';
import { RedisSpendStore } from '@vigint/queue';
import { cleanupRedisPrefix, testRedisPrefix } from '@vigint/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { BudgetNotice } from './budget-notice';
import { BudgetService } from './budget.service';

const prefix = testRedisPrefix('budget');
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const conns: Redis[] = [];
afterAll(async () => {
  for (const c of conns) c.disconnect();
  await cleanupRedisPrefix(prefix);
});

describe('BudgetService across instances (shared Redis counters)', () => {
  it('five workers crossing 80 % and 100 % together send exactly one notice each, and all stop at the cap', async () => {
    const notices: BudgetNotice[] = [];
    const workers = Array.from({ length: 5 }, () => {
      const redis = new Redis(url);
      conns.push(redis);
      return new BudgetService({
        store: new RedisSpendStore(redis, prefix),
        defaults: { dailyUsd: 0.1 },
        notifier: { notify: async (n) => void notices.push(n) },
      });
    });
    const call = {
      stage: AnalysisStage.Screen,
      model: 'm',
      images: 1,
      image_bytes: 1,
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      duration_ms: 1,
    };
    // 60 analyses of $0.002 = $0.12 spread over 5 instances, in parallel.
    await Promise.all(Array.from({ length: 60 }, (_, i) => workers[i % 5]!.record('c9', 0.002, [call])));
    expect(notices.map((n) => n.percent).sort()).toEqual([100, 80]);
    for (const w of workers) expect(await w.check('c9')).toEqual({ allowed: false, period: 'day' });
  });
});
