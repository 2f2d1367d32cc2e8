import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiFallbackReason, AlertLanguage, JobName } from '@vigint/contracts';
import { silentLogger } from '@vigint/logger';
import { makeJpegFrames, openAiReply, startFakeOpenAi, type FakeOpenAi } from '@vigint/testing';
import { loadWorkerConfig } from '../../src/config';
import { startWorkers, type WorkerApp } from '../../src/workers';
import { startHarness, type Harness } from './worker-harness';

const WAIT = 30_000;

/**
 * The worker with AI_PROVIDER=openai against the strict OpenAI fake, and a tiny daily budget: the calls go
 * through Chat Completions, their usage lands in the daily report and the shared spend counters, the owner is
 * mailed once at 80 % and once at 100 %, and past the cap the analysis is motion-only with a note.
 */
describe('worker with an OpenAI-compatible provider and a daily budget', () => {
  let h: Harness;
  let app: WorkerApp;
  let fake: FakeOpenAi;
  let frames: Buffer[];

  beforeAll(async () => {
    fake = await startFakeOpenAi({ apiKey: 'sk-worker-test', defaultReply: openAiReply.incident() });
    h = await startHarness('wopenai', {
      AI_PROVIDER: 'openai',
      AI_BASE_URL: fake.baseUrl,
      AI_API_KEY: 'sk-worker-test',
      AI_MODEL_SHORT: 'gpt-5-mini',
      AI_MODEL_LONG: 'gpt-4.1-mini',
      AI_BUDGET_DAILY_USD: '0.002',
      // The fake runs on 127.0.0.1, which counts as self-hosted ($0): price its models as OpenAI does.
      AI_PRICES_JSON: JSON.stringify({
        'gpt-5-mini': { input: 0.25, output: 2 },
        'gpt-4.1-mini': { input: 0.4, output: 1.6 },
      }),
    });
    app = await startWorkers(loadWorkerConfig(h.env), silentLogger);
    frames = await makeJpegFrames(6, { width: 320, height: 240 });
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
    await fake?.close();
  });

  const analyze = async (clientId = h.clientId) => {
    const keys = await h.blobs.putMany(frames.slice(0, 3), 600);
    const { id } = await h.queue.enqueue(JobName.FrameAnalyze, {
      clientId,
      apiKeyId: clientId === h.clientId ? h.apiKeyId : null,
      bufferType: 'short',
      frameBlobKeys: keys,
      language: AlertLanguage.En,
      cameraName: 'gate',
    });
    const view = await h.queue.waitFor<JobName.FrameAnalyze>(id, WAIT);
    expect(view?.error).toBeUndefined();
    return view!.result!;
  };

  it('analyses through Chat Completions until the cap, then motion-only with a note; one notice per threshold', async () => {
    const first = await analyze();
    expect(first.incident).toBe(true);
    expect(first.ai_calls.map((c) => [c.provider, c.model])).toEqual([
      ['openai', 'gpt-5-mini'],
      ['openai', 'gpt-4.1-mini'],
    ]);
    expect(fake.requests[0]!.body).toMatchObject({ reasoning_effort: 'minimal', max_completion_tokens: 2048 });
    expect(fake.rejected).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    const rows = await h.db.aiBudget.dailyUsage(h.clientId, today, today);
    expect(rows.map((r) => [r.model, r.stage, r.calls])).toEqual([
      ['gpt-4.1-mini', 'confirm', 1],
      ['gpt-5-mini', 'screen', 1],
    ]);
    expect(rows.reduce((n, r) => n + r.costMicroUsd, 0)).toBeGreaterThan(0);

    // Every analysis of these frames costs the same: a second client whose own cap is 2.4 analyses passes
    // 80 % on its second analysis and 100 % on its third (its caps are read fresh, nothing cached yet).
    const cost = rows.reduce((n, r) => n + r.costMicroUsd, 0) / 1e6;
    const { client: other } = await h.db.clients.create({ name: 'Capped', email: 'capped@acme.test' });
    await h.db.aiBudget.setBudget(other.id, { dailyUsd: cost * 2.4, monthlyUsd: null });
    for (let i = 0; i < 3; i++) expect((await analyze(other.id)).offline).toBe(false);
    const callsAtCap = fake.requestCount;
    const capped = await analyze(other.id);
    expect(capped.ai_fallback?.reason).toBe(AiFallbackReason.BudgetExhausted);
    expect(capped.offline).toBe(true);
    expect(capped.analysis).toMatch(/AI budget for the day is used up/);
    expect(fake.requestCount).toBe(callsAtCap);
    // The first client is not capped by the other's spend.
    expect((await analyze()).offline).toBe(false);

    const notices = () => h.smtp.messages.filter((m) => (m.parsed.subject ?? '').includes('AI budget'));
    const end = Date.now() + 10_000;
    while (notices().length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    expect(
      notices()
        .map((m) => m.parsed.subject)
        .sort(),
    ).toEqual(['Vigint: 80% of the daily AI budget used', expect.stringMatching(/^Vigint: daily AI budget reached/)]);
    expect(notices().every((m) => JSON.stringify(m.parsed.to).includes('capped@acme.test'))).toBe(true);
  });
});
