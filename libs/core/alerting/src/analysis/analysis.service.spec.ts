import {
  AiFallbackReason,
  AlertLanguage,
  AnalysisStage,
  AppError,
  ErrorCode,
  RiskLevel,
  type AiCall,
  type Polygon,
} from '@vigint/contracts';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import {
  geminiReply,
  imageDimensions,
  makeJpegFrames,
  makeTestJpeg,
  startFakeGemini,
  type FakeGemini,
} from '@vigint/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetCheck, SpendGuard } from '../budget/spend-guard';
import { AnalysisService, DEFAULT_MODELS } from './analysis.service';
import { spreadIndexes } from './ai-frames';
import { MemoryQuotaGate } from './quota-gate';

const models = DEFAULT_MODELS;
const image = new ImageAdapter();
let fake: FakeGemini;
let short: Buffer[];
let long: Buffer[];

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: 'k' });
  // 720p camera frames: the AI must get them downscaled.
  long = await makeJpegFrames(12, { width: 1280, height: 720 });
  short = long.slice(-4);
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function service(over: Partial<ConstructorParameters<typeof AnalysisService>[0]> = {}) {
  const provider = new GeminiAdapter({ apiKey: 'k', baseUrl: fake.baseUrl, backoffBaseMs: 20 });
  return new AnalysisService({ provider, image, models, ...over });
}

describe('AnalysisService (two stages against the fake Gemini)', () => {
  it('makes one request to the short model when screening sees nothing', async () => {
    fake.enqueue(geminiReply.noIncident());
    const result = await service().analyze({ frames: short, longFrames: long, language: AlertLanguage.En });
    expect(fake.requestCount).toBe(1);
    expect(fake.requests[0]!.model).toBe(models.short);
    expect(fake.requests[0]!.images).toHaveLength(3);
    expect(result).toMatchObject({
      has_security_incident: false,
      risk_level: RiskLevel.None,
      model: models.short,
      offline: false,
      frame_count: 4,
    });
    expect(result.flash_confirmation).toBeUndefined();
    expect(result.flash_veto).toBeUndefined();
    expect(result.ai_calls).toHaveLength(1);
    expect(result.token_usage.total_tokens).toBeGreaterThan(0);
  });

  it('lets the long model veto the screening: no incident, flash_veto and the reason', async () => {
    fake.enqueue(
      geminiReply.incident({ incident_type: 'intrusion', risk_level: 'HIGH', frame_indexes: [2] }),
      geminiReply.verdict({
        incident: false,
        incident_type: 'intrusion',
        // Inconsistent on purpose: a veto must still end with no alerting risk.
        risk_level: 'MEDIUM',
        description: 'The person is the resident taking the bins out.',
        confidence: 0.9,
        frame_indexes: [],
      }),
    );
    const result = await service().analyze({
      frames: short,
      longFrames: long,
      language: AlertLanguage.En,
      cameraName: 'Garage',
    });
    expect(fake.requests.map((r) => r.model)).toEqual([models.short, models.long]);
    expect(result).toMatchObject({
      has_security_incident: false,
      incident_detected: false,
      risk_level: RiskLevel.None,
      incident_type: 'none',
      flash_confirmation: false,
      flash_veto: true,
      veto_reason: 'The person is the resident taking the bins out.',
      detailed_analysis: 'The person is the resident taking the bins out.',
      model: models.long,
    });
    // The confirming model sees frames spread across the long buffer, and the screening's verdict.
    expect(fake.requests[1]!.images).toHaveLength(6);
    expect(fake.requests[1]!.prompt).toContain('A person climbs over the fence.');
    expect(fake.requests[1]!.prompt).toContain('"Garage"');
    expect(result.ai_calls.map((c) => c.stage)).toEqual([AnalysisStage.Screen, AnalysisStage.Confirm]);
    expect(result.token_usage.total_tokens).toBe(
      result.ai_calls[0]!.usage.total_tokens + result.ai_calls[1]!.usage.total_tokens,
    );
  });

  it('confirms an incident with the long model verdict and maps frame indexes to the caller frames', async () => {
    fake.enqueue(
      geminiReply.incident(),
      geminiReply.incident({
        incident_type: 'theft',
        risk_level: 'CRITICAL',
        description: 'Un vol.',
        frame_indexes: [1, 5, 9],
      }),
    );
    const result = await service().analyze({ frames: short, longFrames: long, language: AlertLanguage.Fr });
    expect(result).toMatchObject({
      has_security_incident: true,
      flash_confirmation: true,
      flash_veto: false,
      risk_level: 'CRITICAL',
      incident_type: 'theft',
    });
    expect(result.veto_reason).toBeUndefined();
    // 6 of 12 frames sent (0, 2, 4, 7, 9, 11): image 1 is frame 2, image 5 is frame 11, image 9 does not exist.
    expect(result.frame_indexes).toEqual([2, 11]);
    expect(fake.requests[0]!.prompt).toContain('French');
  });

  it('sends images downscaled to 768 px, as JPEG, with the privacy masks blacked out', async () => {
    fake.enqueue(geminiReply.noIncident());
    // Left quarter of the picture is private.
    const mask: Polygon = [
      [0, 0],
      [0.25, 0],
      [0.25, 1],
      [0, 1],
    ];
    const bright = await makeTestJpeg({ width: 1280, height: 720, color: [230, 230, 230] });
    const result = await service().analyze({ frames: [bright, bright], language: AlertLanguage.En, masks: [mask] });
    const sent = fake.requests[0]!.images;
    expect(sent).toHaveLength(2);
    for (const img of sent) {
      expect(img.mimeType).toBe('image/jpeg');
      expect(imageDimensions(img.data)).toEqual({ width: 768, height: 432 });
      const gray = await image.grayscale(img.data, 64);
      const at = (x: number, y: number) => gray.data[y * gray.width + x]!;
      expect(at(4, 18)).toBeLessThan(20); // inside the mask
      expect(at(48, 18)).toBeGreaterThan(200); // outside
    }
    expect(result.ai_calls[0]!.image_bytes).toBe(sent[0]!.bytes + sent[1]!.bytes);
  });

  it('keeps the screening verdict (and says so) when the confirming reply is not JSON', async () => {
    fake.enqueue(geminiReply.incident(), geminiReply.text('not json'));
    const result = await service().analyze({ frames: short, longFrames: long, language: AlertLanguage.En });
    expect(result).toMatchObject({ incident: true, risk_level: RiskLevel.High, offline: false });
    expect(result.flash_veto).toBeUndefined();
    expect(result.ai_fallback).toMatchObject({ stage: AnalysisStage.Confirm, reason: AiFallbackReason.ConfirmFailed });
    expect(result.ai_fallback!.note).toContain("the first model's verdict stands");
    // The failed confirm was billed: it is counted.
    expect(result.ai_calls.map((c) => [c.stage, c.failed ?? false])).toEqual([
      [AnalysisStage.Screen, false],
      [AnalysisStage.Confirm, true],
    ]);
  });

  it('keeps at most `concurrency` AI calls in flight', async () => {
    fake.setDefault(geminiReply.noIncident({ delayMs: 300 }));
    const svc = service({ concurrency: 1 });
    await Promise.all([0, 1, 2].map(() => svc.analyze({ frames: short.slice(0, 1), language: AlertLanguage.En })));
    fake.setDefault(geminiReply.noIncident());
    const at = fake.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at).toHaveLength(3);
    // With one slot, a request can only start after the previous reply (300 ms later) came back.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(290);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(290);
  });
});

/** Whenever a model cannot answer, the incident is still answered and the result says why (issue 13 §3). */
describe('AnalysisService: no incident dropped because a model failed', () => {
  const input = () => ({ frames: short, longFrames: long, language: AlertLanguage.En });

  it('a retired confirming model (404): the screening verdict stands, the alert says so', async () => {
    fake.enqueue(geminiReply.incident());
    const result = await service({ models: { short: models.short, long: 'gemini-2.5-flash' } }).analyze(input());
    expect(result).toMatchObject({ incident: true, risk_level: RiskLevel.High });
    expect(result.ai_fallback).toMatchObject({
      stage: AnalysisStage.Confirm,
      reason: AiFallbackReason.ConfirmFailed,
      model: 'gemini-2.5-flash',
    });
    expect(result.ai_fallback!.error).toContain('not found for API version v1beta');
  });

  it('a confirm blocked by IMAGE_SAFETY: the screening verdict stands, "declined"', async () => {
    fake.enqueue(
      geminiReply.incident({ incident_type: 'violence', risk_level: 'CRITICAL' }),
      geminiReply.finish('IMAGE_SAFETY'),
    );
    const result = await service().analyze({ ...input(), language: AlertLanguage.Fr });
    expect(result).toMatchObject({ incident: true, risk_level: RiskLevel.Critical, incident_type: 'violence' });
    expect(result.ai_fallback).toMatchObject({ reason: AiFallbackReason.ConfirmDeclined });
    expect(result.ai_fallback!.note).toContain('a refusé');
    expect(fake.requestCount).toBe(2);
  });

  it('a confirm cut off twice by MAX_TOKENS: the screening verdict stands after one retry with room', async () => {
    fake.enqueue(geminiReply.incident(), geminiReply.maxTokens(), geminiReply.maxTokens());
    const result = await service().analyze(input());
    expect(fake.requestCount).toBe(3);
    expect(result.ai_fallback).toMatchObject({ reason: AiFallbackReason.ConfirmFailed });
    expect(result.incident).toBe(true);
    // Thinking tokens of the cut-off replies are counted in usage.
    expect(result.token_usage.thinking_tokens).toBe(4096 + 8192);
  });

  it('a daily quota on the screening model: offline analysis with a note, and no more calls to that model', async () => {
    const quota = new MemoryQuotaGate();
    const svc = service({ quota });
    fake.enqueue(geminiReply.dailyQuota());
    const first = await svc.analyze(input());
    expect(first.offline).toBe(true);
    expect(first.ai_fallback).toMatchObject({ stage: AnalysisStage.Screen, reason: AiFallbackReason.QuotaExhausted });
    expect(first.analysis).toMatch(/daily quota is used up until \d\d:\d\d UTC/);
    expect(await quota.blockedUntil(models.short)).toBeGreaterThan(Date.now());
    const second = await svc.analyze(input());
    expect(second.ai_fallback?.reason).toBe(AiFallbackReason.QuotaExhausted);
    expect(fake.requestCount).toBe(1);
  });

  it('a daily quota with a fallback model configured: the fallback answers', async () => {
    fake.enqueue(geminiReply.dailyQuota(), geminiReply.noIncident());
    const result = await service({ fallbackModel: 'gemini-3.1-flash-lite' }).analyze(input());
    expect(fake.requests.map((r) => r.model)).toEqual([models.short, 'gemini-3.1-flash-lite']);
    expect(result).toMatchObject({ offline: false, model: 'gemini-3.1-flash-lite' });
    expect(result.ai_fallback).toBeUndefined();
  });

  it('503 after the adapter backoff: the fallback model; without one, offline on the last attempt', async () => {
    fake.setDefault(geminiReply.error(503));
    const noFallback = service();
    // A job with attempts left: thrown (retryable), the calls it made kept on the error.
    const err = (await noFallback.analyze({ ...input(), lastAttempt: false }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.permanent).toBe(false);
    const last = await noFallback.analyze(input());
    expect(last.ai_fallback).toMatchObject({ reason: AiFallbackReason.ScreenFailed });
    expect(last.analysis).toContain('offline motion analysis');
    fake.reset();
    fake.setDefault(geminiReply.noIncident());
    fake.enqueue(geminiReply.error(503), geminiReply.error(503), geminiReply.error(503));
    const withFallback = await service({ fallbackModel: 'gemini-3.6-flash' }).analyze(input());
    expect(withFallback.model).toBe('gemini-3.6-flash');
  });

  it("a rejected key (400 API_KEY_INVALID) on the screen: offline with Google's reason, no retry", async () => {
    const provider = new GeminiAdapter({ apiKey: 'wrong', baseUrl: fake.baseUrl, backoffBaseMs: 20 });
    const result = await new AnalysisService({ provider, image, models }).analyze(input());
    expect(fake.requestCount).toBe(1);
    expect(result.ai_fallback).toMatchObject({ reason: AiFallbackReason.ScreenFailed });
    expect(result.ai_fallback!.error).toContain('API key not valid');
  });

  it('prices each call with thinking tokens, and charges the client budget', async () => {
    const charged: { usd: number; calls: readonly AiCall[] }[] = [];
    const budget: SpendGuard = {
      check: async (): Promise<BudgetCheck> => ({ allowed: true }),
      record: async (_c, usd, calls) => void charged.push({ usd, calls }),
    };
    fake.enqueue(
      geminiReply.incident({}, { thoughtsTokenCount: 0 }),
      geminiReply.incident({}, { thoughtsTokenCount: 800 }),
    );
    const result = await service({ budget }).analyze({ ...input(), clientId: 'c1' });
    const [screen, confirm] = result.ai_calls;
    expect(confirm!.usage.thinking_tokens).toBe(800);
    // gemini-3.8-flash: $0.75 in / $3.75 out per million (thinking billed as output).
    expect(confirm!.cost_usd).toBeCloseTo(
      (confirm!.usage.prompt_tokens * 0.75 + confirm!.usage.completion_tokens * 3.75) / 1e6,
      12,
    );
    expect(screen!.model_version).toBe(`${models.short}-fake-001`);
    expect(charged).toHaveLength(1);
    expect(charged[0]!.usd).toBeCloseTo(screen!.cost_usd! + confirm!.cost_usd!, 12);
  });

  it('a used-up budget: no AI call, offline analysis saying why', async () => {
    const budget: SpendGuard = {
      check: async () => ({ allowed: false, period: 'month' }),
      record: async () => undefined,
    };
    const result = await service({ budget }).analyze({ ...input(), clientId: 'c1' });
    expect(fake.requestCount).toBe(0);
    expect(result.ai_fallback).toMatchObject({ reason: AiFallbackReason.BudgetExhausted });
    expect(result.analysis).toContain('AI budget for the month is used up');
  });

  it('checkModels names the variable of a retired model', async () => {
    const svc = service({ models: { short: models.short, long: 'gemini-2.5-flash' } });
    await expect(svc.checkModels()).rejects.toThrow(/^GEMINI_MODEL_LONG=gemini-2\.5-flash: .*retired/);
    await expect(service().checkModels()).resolves.toBeUndefined();
  });
});

describe('AnalysisService offline (no provider)', () => {
  it('rates a moving person-sized object and says it is the offline motion-only analyzer', async () => {
    const frames = await makeJpegFrames(4, { width: 320, height: 240 });
    const result = await new AnalysisService({ image, models }).analyze({ frames, language: AlertLanguage.En });
    expect(result.offline).toBe(true);
    expect(result.model).toBe('offline-motion');
    expect(result.analysis).toMatch(/^Offline motion-only analyzer/);
    expect(result.risk_level).not.toBe(RiskLevel.None);
    expect(result.ai_calls).toEqual([]);
    expect(fake.requestCount).toBe(0);
  });

  it('sees nothing in a still scene, and writes French when asked', async () => {
    const frames = await makeJpegFrames(4, { width: 320, height: 240, movingBox: false });
    const result = await new AnalysisService({ image, models }).analyze({ frames, language: AlertLanguage.Fr });
    expect(result).toMatchObject({ risk_level: RiskLevel.None, has_security_incident: false });
    expect(result.analysis).toMatch(/^Analyse hors ligne/);
  });
});

describe('spreadIndexes', () => {
  it('spreads over the buffer with first and last', () => {
    expect(spreadIndexes(12, 6)).toEqual([0, 2, 4, 7, 9, 11]);
    expect(spreadIndexes(3, 6)).toEqual([0, 1, 2]);
    expect(spreadIndexes(5, 1)).toEqual([4]);
  });
});
