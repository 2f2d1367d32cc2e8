import { describe, expect, it } from 'vitest';
import { DEFAULT_GEMINI_MODEL_LONG, DEFAULT_GEMINI_MODEL_SHORT } from '@vigint/alerting';
import { QueueName } from '@vigint/contracts';
import { concurrencyFor, DEFAULT_MEDIA_CONCURRENCY, loadWorkerConfig, modelsFor } from './config';

const base = { SECRET_KEY: 'a-long-enough-secret' };

describe('worker config', () => {
  it('defaults: 72 h retention, ffmpeg concurrency half the cores (at least 1), offline without a key', () => {
    const c = loadWorkerConfig(base);
    expect(c.RETENTION_HOURS).toBe(72);
    expect(c.GOOGLE_API_KEY).toBeUndefined();
    expect(DEFAULT_MEDIA_CONCURRENCY).toBeGreaterThanOrEqual(1);
    expect(concurrencyFor(c)[QueueName.Media]).toBe(DEFAULT_MEDIA_CONCURRENCY);
    expect(modelsFor(c)).toEqual({ short: DEFAULT_GEMINI_MODEL_SHORT, long: DEFAULT_GEMINI_MODEL_LONG });
  });

  it('GEMINI_MODEL sets both stages unless the specific ones are given', () => {
    expect(modelsFor(loadWorkerConfig({ ...base, GEMINI_MODEL: 'm' }))).toEqual({ short: 'm', long: 'm' });
    expect(modelsFor(loadWorkerConfig({ ...base, GEMINI_MODEL: 'm', GEMINI_MODEL_LONG: 'big' }))).toEqual({
      short: 'm',
      long: 'big',
    });
  });

  it('reports every bad variable at once', () => {
    try {
      loadWorkerConfig({ MEDIA_CONCURRENCY: '0', RETENTION_HOURS: '-1', QUEUE_PREFIX: 'a:b' });
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      for (const k of ['SECRET_KEY', 'MEDIA_CONCURRENCY', 'RETENTION_HOURS', 'QUEUE_PREFIX']) expect(msg).toContain(k);
    }
  });
});
