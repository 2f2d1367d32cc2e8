import { AiFallbackReason, AlertLanguage, AnalysisStage, RiskLevel } from '@vigint/contracts';
import { ImageAdapter } from '@vigint/image';
import { createLogger } from '@vigint/logger';
import { OpenAiAdapter } from '@vigint/openai';
import { makeJpegFrames, openAiReply, startFakeOpenAi, type FakeOpenAi } from '@vigint/testing';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AiPricer, buildPriceTable, isSelfHostedAiUrl, selfHostedPrices } from './ai-prices';
import { AnalysisService } from './analysis.service';
import { selectAnalysisProvider } from './provider-registry';

const image = new ImageAdapter();
const models = { short: 'gemma3:4b', long: 'qwen2.5vl:7b' };
let fake: FakeOpenAi;
let frames: Buffer[];

beforeAll(async () => {
  fake = await startFakeOpenAi();
  frames = await makeJpegFrames(8, { width: 1280, height: 720 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function service(over: Partial<ConstructorParameters<typeof AnalysisService>[0]> = {}) {
  const provider = new OpenAiAdapter({ baseUrl: fake.baseUrl, backoffBaseMs: 20, backoffMaxMs: 40 });
  return new AnalysisService({ provider, image, models, ...over });
}

describe('AnalysisService with an OpenAI-compatible server', () => {
  it('screens and confirms with the same verdict contract, frames as data URLs, usage counted', async () => {
    fake.enqueue(
      openAiReply.incident(),
      openAiReply.incident({ description: 'Confirmed: a person at the door.' }, { reasoningTokens: 30 }),
    );
    const result = await service().analyze({
      frames: frames.slice(-4),
      longFrames: frames,
      language: AlertLanguage.En,
    });
    expect(fake.requests.map((r) => r.model)).toEqual(['gemma3:4b', 'qwen2.5vl:7b']);
    expect(fake.requests.map((r) => r.images.length)).toEqual([3, 6]);
    expect(result).toMatchObject({
      incident: true,
      flash_confirmation: true,
      risk_level: RiskLevel.High,
      offline: false,
    });
    expect(result.ai_calls.map((c) => c.provider)).toEqual(['openai', 'openai']);
    expect(result.token_usage.thinking_tokens).toBe(30);
    expect(result.ai_calls[1]!.model_version).toBe('qwen2.5vl:7b-fake-2026-12-01');
  });

  it('a refusal on the confirm: the screening verdict stands and the alert says the model declined', async () => {
    fake.enqueue(openAiReply.incident(), openAiReply.refusal());
    const result = await service().analyze({ frames, language: AlertLanguage.En });
    expect(result.incident).toBe(true);
    expect(result.ai_fallback).toMatchObject({
      stage: AnalysisStage.Confirm,
      reason: AiFallbackReason.ConfirmDeclined,
      model: 'qwen2.5vl:7b',
    });
    // The refused call was billed: counted.
    expect(result.ai_calls.filter((c) => c.failed)).toHaveLength(1);
  });

  it('a model Ollama never pulled (404) on the screen: offline analysis with the server message', async () => {
    const ollama = await startFakeOpenAi({ flavor: 'ollama', models: ['qwen2.5vl:7b'] });
    try {
      const provider = new OpenAiAdapter({ baseUrl: ollama.baseUrl });
      const result = await new AnalysisService({ provider, image, models }).analyze({
        frames,
        language: AlertLanguage.En,
      });
      expect(result.offline).toBe(true);
      expect(result.ai_fallback).toMatchObject({ reason: AiFallbackReason.ScreenFailed, model: 'gemma3:4b' });
      expect(result.ai_fallback!.error).toContain('try pulling it first');
      expect(ollama.requestCount).toBe(0);
    } finally {
      await ollama.close();
    }
  });

  it('an RPD limit blocks the model: the fallback model answers and the blocked one is not called again', async () => {
    fake.enqueue(openAiReply.dailyLimit('2h0m0s'));
    const s = service({ fallbackModel: 'llava:7b' });
    const first = await s.analyze({ frames, language: AlertLanguage.En });
    expect(first.offline).toBe(false);
    const second = await s.analyze({ frames, language: AlertLanguage.En });
    expect(second.model).toBe('llava:7b');
    expect(fake.requests.map((r) => r.model)).toEqual(['gemma3:4b', 'llava:7b', 'llava:7b']);
  });

  it('checkModels stops the start on a model the server does not list, naming the variable', async () => {
    await expect(
      service({ models: { short: 'gemma3:4b', long: 'llama9:70b' } }).checkModels({
        short: 'AI_MODEL_SHORT',
        long: 'AI_MODEL_LONG',
      }),
    ).rejects.toThrow(/AI_MODEL_LONG=llama9:70b: .*does not serve model llama9:70b.*GET \/models/);
  });
});

describe('prices of self-hosted models', () => {
  it('recognises local and private servers, not public ones', () => {
    for (const u of [
      'http://localhost:11434/v1',
      'http://127.0.0.1:8000/v1',
      'http://192.168.1.20:1234/v1',
      'http://ollama:11434/v1',
      'http://gpu.local/v1',
      'http://[::1]:8080/v1',
    ])
      expect(isSelfHostedAiUrl(u), u).toBe(true);
    for (const u of ['https://api.openai.com/v1', 'https://openrouter.ai/api/v1', 'http://8.8.8.8/v1', undefined])
      expect(isSelfHostedAiUrl(u), String(u)).toBe(false);
  });

  it('a local server prices its models 0 on purpose (no warning); a public one warns loudly for an unpriced model', () => {
    const lines: string[] = [];
    const log = createLogger({
      name: 'test',
      level: 'warn',
      destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }),
    });
    const local = {
      AI_PROVIDER: 'openai' as const,
      AI_BASE_URL: 'http://127.0.0.1:11434/v1',
      AI_MODEL_SHORT: 'gemma3:4b',
      AI_MODEL_LONG: 'qwen2.5vl:7b',
    };
    const pricer = new AiPricer(buildPriceTable(undefined, selfHostedPrices(local)), log);
    expect(pricer.cost('qwen2.5vl:7b', { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 })).toBe(0);
    expect(lines).toEqual([]);
    const remote = new AiPricer(
      buildPriceTable(undefined, selfHostedPrices({ ...local, AI_BASE_URL: 'https://openrouter.ai/api/v1' })),
      log,
    );
    expect(
      remote.cost('qwen2.5vl:7b', { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 }),
    ).toBeUndefined();
    expect(lines.join('')).toContain('qwen2.5vl:7b has no price');
    // AI_PRICES_JSON still wins (a site can charge its GPU time).
    const priced = buildPriceTable('{"gemma3:4b":{"input":0.01,"output":0.02}}', selfHostedPrices(local));
    expect(priced['gemma3:4b']).toEqual({ input: 0.01, output: 0.02 });
  });

  it('selectAnalysisProvider builds the openai provider from AI_* settings', () => {
    const built: string[] = [];
    const sel = selectAnalysisProvider(
      { AI_PROVIDER: 'openai', AI_BASE_URL: fake.baseUrl, AI_MODEL_SHORT: 'gemma3:4b', AI_MODEL_FALLBACK: 'llava:7b' },
      { openai: (c) => (built.push(c.AI_BASE_URL!), new OpenAiAdapter({ baseUrl: c.AI_BASE_URL! })) },
    );
    expect(built).toEqual([fake.baseUrl]);
    expect(sel.models).toEqual({ short: 'gemma3:4b', long: 'gemma3:4b' });
    expect(sel.fallbackModel).toBe('llava:7b');
    expect(selectAnalysisProvider({ AI_PROVIDER: 'openai' }, {}).offlineReason).toContain('AI_BASE_URL');
  });
});
