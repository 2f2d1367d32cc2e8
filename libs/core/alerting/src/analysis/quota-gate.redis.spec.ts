import { AiFallbackReason, AlertLanguage } from '@vigint/contracts';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import { RedisQuotaGate } from '@vigint/queue';
import {
  cleanupRedisPrefix,
  geminiReply,
  makeJpegFrames,
  startFakeGemini,
  testRedisPrefix,
  type FakeGemini,
} from '@vigint/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisService, DEFAULT_MODELS } from './analysis.service';

const prefix = testRedisPrefix('quota-svc');
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const conns: Redis[] = [];
let fake: FakeGemini;
let frames: Buffer[];

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: 'k' });
  frames = await makeJpegFrames(6, { width: 640, height: 360 });
});
afterAll(async () => {
  for (const c of conns) c.disconnect();
  await fake.close();
  await cleanupRedisPrefix(prefix);
});

function worker(): AnalysisService {
  const redis = new Redis(url);
  conns.push(redis);
  return new AnalysisService({
    provider: new GeminiAdapter({ apiKey: 'k', baseUrl: fake.baseUrl }),
    image: new ImageAdapter(),
    models: DEFAULT_MODELS,
    quota: new RedisQuotaGate(redis, prefix),
  });
}

describe('daily-quota block shared across processes (Redis)', () => {
  it("one worker's per-day 429 stops the other worker calling that model until the reset", async () => {
    const [w1, w2] = [worker(), worker()];
    fake.enqueue(geminiReply.dailyQuota());
    const first = await w1.analyze({ frames, language: AlertLanguage.En });
    expect(first.ai_fallback?.reason).toBe(AiFallbackReason.QuotaExhausted);
    expect(fake.requestCount).toBe(1);
    const second = await w2.analyze({ frames, language: AlertLanguage.En });
    expect(second.ai_fallback?.reason).toBe(AiFallbackReason.QuotaExhausted);
    expect(second.offline).toBe(true);
    // The second worker never reached the model.
    expect(fake.requestCount).toBe(1);
  });
});
