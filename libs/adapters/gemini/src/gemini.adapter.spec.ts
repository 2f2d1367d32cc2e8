import { AiFailureKind, AppError, ErrorCode, IncidentType, RiskLevel } from '@vigint/contracts';
import { geminiReply, startFakeGemini, type FakeGemini } from '@vigint/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeminiAdapter, SECURITY_SAFETY_SETTINGS, type GeminiAdapterOptions } from './gemini.adapter';
import { nextPacificMidnight, parseRetryDelay } from './gemini-errors';
import { thinkingConfigFor } from './gemini-thinking';

// A 1x1 JPEG is enough: the adapter forwards bytes, it does not decode them.
const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: 'test-key' });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function adapter(over: Partial<GeminiAdapterOptions> = {}): GeminiAdapter {
  return new GeminiAdapter({
    apiKey: 'test-key',
    baseUrl: fake.baseUrl,
    backoffBaseMs: 50,
    backoffMaxMs: 200,
    ...over,
  });
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const request = {
  model: 'gemini-3.5-flash-lite',
  prompt: 'look',
  images: [{ mimeType: 'image/jpeg', data: JPEG }],
};

describe('GeminiAdapter', () => {
  it('sends the frames with a JSON response schema and returns the verdict and token usage', async () => {
    fake.enqueue(geminiReply.incident({ incident_type: 'theft', risk_level: 'HIGH' }));
    const reply = await adapter().analyze({ ...request, images: [request.images[0]!, request.images[0]!] });
    expect(reply.verdict).toMatchObject({
      incident: true,
      incident_type: IncidentType.Theft,
      risk_level: RiskLevel.High,
    });
    expect(reply.attempts).toBe(1);
    expect(fake.requestCount).toBe(1);
    const sent = fake.requests[0]!;
    expect(sent.model).toBe('gemini-3.5-flash-lite');
    expect(sent.apiKey).toBe('test-key');
    expect(sent.prompt).toBe('look');
    expect(sent.images.map((i) => [i.mimeType, i.bytes])).toEqual([
      ['image/jpeg', JPEG.length],
      ['image/jpeg', JPEG.length],
    ]);
    expect(sent.generationConfig).toMatchObject({ responseMimeType: 'application/json', temperature: 0.1 });
    const schema = sent.generationConfig!.responseSchema as {
      properties: Record<string, { type: string; enum?: string[] }>;
    };
    expect(schema.properties.risk_level).toMatchObject({
      type: 'STRING',
      enum: ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    });
    expect(JSON.stringify(schema)).not.toMatch(/maxLength|minimum|\$id|anyOf/);
    expect(reply.usage.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
    // Thinking set on purpose: the screening call asks for the model's least thinking, with room to answer.
    expect(sent.generationConfig).toMatchObject({
      thinkingConfig: { thinkingLevel: 'MINIMAL' },
      maxOutputTokens: 2048,
    });
    expect(sent.safetySettings).toEqual(SECURITY_SAFETY_SETTINGS);
    expect(reply.modelVersion).toBe('gemini-3.5-flash-lite-fake-001');
    expect(reply.provider).toBe('gemini');
  });

  it('asks a confirming call for a small thinking budget, and counts thinking tokens as output', async () => {
    fake.enqueue(geminiReply.incident({}, { thoughtsTokenCount: 700 }));
    const reply = await adapter().analyze({ ...request, model: 'gemini-3.8-flash', thinking: 'low' });
    const sent = fake.requests[0]!;
    // 3.8 Flash has no MINIMAL level: LOW, and maxOutputTokens well above what it thinks.
    expect(sent.generationConfig).toMatchObject({ thinkingConfig: { thinkingLevel: 'LOW' }, maxOutputTokens: 4096 });
    expect(reply.usage.thinking_tokens).toBe(700);
    expect(reply.usage.completion_tokens).toBeGreaterThan(700);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('takes usage from usageMetadata', async () => {
    fake.enqueue({
      kind: 'verdict',
      verdict: { ...geminiNone() },
      usage: { promptTokenCount: 600, candidatesTokenCount: 40, totalTokenCount: 640 },
    });
    const reply = await adapter().analyze(request);
    expect(reply.usage).toEqual({ prompt_tokens: 600, completion_tokens: 40, total_tokens: 640, thinking_tokens: 0 });
  });

  it('turns a malformed reply into AI_BAD_REPLY without retrying', async () => {
    fake.enqueue(geminiReply.text('{"incident": true, "incident_type": '));
    const err = await failure(adapter().analyze(request));
    expect(err.code).toBe(ErrorCode.AiBadReply);
    expect(fake.requestCount).toBe(1);
  });

  it('turns an off-schema reply into AI_BAD_REPLY naming the field', async () => {
    fake.enqueue(geminiReply.text(JSON.stringify({ ...geminiNone(), risk_level: 'APOCALYPTIC' })));
    const err = await failure(adapter().analyze(request));
    expect(err.code).toBe(ErrorCode.AiBadReply);
    expect(err.field).toBe('risk_level');
  });

  it('turns a safety block into AI_REFUSED (safety_blocked), tokens counted, not retried', async () => {
    fake.enqueue(geminiReply.blocked('SAFETY'));
    const err = await failure(adapter().analyze(request));
    expect(err.code).toBe(ErrorCode.AiRefused);
    expect(err.permanent).toBe(true);
    expect(err.details).toMatchObject({ kind: AiFailureKind.SafetyBlocked, reason: 'SAFETY' });
    expect((err.details as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBeGreaterThan(0);
    expect(fake.requestCount).toBe(1);
  });

  it('honours the retryDelay of a 429 before asking again', async () => {
    fake.enqueue(geminiReply.rateLimited('2s'), geminiReply.noIncident());
    const reply = await adapter().analyze(request);
    expect(reply.attempts).toBe(2);
    expect(fake.requestCount).toBe(2);
    // Correctness, not speed: the second request must not come before the delay the API asked for.
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it('surfaces retryAfterMs when a 429 persists', async () => {
    fake.setDefault(geminiReply.rateLimited('30s'));
    // 30 s does not fit the 5 s total budget: give up at once with the delay in the details.
    const err = await failure(adapter({ maxTotalMs: 5_000 }).analyze(request));
    fake.setDefault(geminiReply.noIncident());
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.details).toMatchObject({
      status: 429,
      kind: AiFailureKind.RateLimited,
      retryAfterMs: 30_000,
      attempts: 1,
    });
    expect(fake.requestCount).toBe(1);
  });

  it('retries a 503 with backoff and succeeds', async () => {
    fake.enqueue(geminiReply.error(503), geminiReply.incident());
    const reply = await adapter().analyze(request);
    expect(reply.verdict.incident).toBe(true);
    expect(reply.attempts).toBe(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(25);
  });

  it('gives up after maxAttempts on repeated 500s', async () => {
    fake.enqueue(geminiReply.error(500), geminiReply.error(500), geminiReply.error(500), geminiReply.noIncident());
    const err = await failure(adapter({ maxAttempts: 3 }).analyze(request));
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.details).toMatchObject({ status: 500, attempts: 3 });
    expect(fake.requestCount).toBe(3);
  });

  it('times out a slow reply and reports AI_UNAVAILABLE', async () => {
    fake.setDefault(geminiReply.noIncident({ delayMs: 2_000 }));
    const err = await failure(adapter({ timeoutMs: 200, maxAttempts: 2 }).analyze(request));
    fake.setDefault(geminiReply.noIncident());
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.details).toMatchObject({ kind: AiFailureKind.Unavailable, reason: 'timeout', attempts: 2 });
    expect(fake.requestCount).toBe(2);
  });

  it("does not retry a rejected API key, and keeps Google's reason", async () => {
    const err = await failure(adapter({ apiKey: 'wrong' }).analyze(request));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(err.permanent).toBe(true);
    expect(err.details).toMatchObject({ status: 400, reason: 'API_KEY_INVALID', attempts: 1 });
    expect(err.message).toContain('API key not valid');
  });
});

/** The error cases of the hosted API, each answered by the strict fake from its recorded fixture. */
describe('GeminiAdapter: real error cases', () => {
  it('a daily quota 429 (QuotaFailure ...PerDay..., RetryInfo 47s) is not retried and says when it resets', async () => {
    fake.setDefault(geminiReply.dailyQuota());
    const now = Date.parse('2026-12-01T20:00:00Z');
    const err = await failure(adapter({ now: () => now }).analyze(request));
    fake.setDefault(geminiReply.noIncident());
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.details).toMatchObject({
      kind: AiFailureKind.QuotaExhausted,
      quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
      retryable: false,
      // Midnight Pacific (PST, UTC-8) after 12:00 PST.
      resetAt: Date.parse('2026-12-02T08:00:00Z'),
    });
    expect(fake.requestCount).toBe(1);
  });

  it("a retired model (404 NOT_FOUND) is permanent, with Google's message", async () => {
    const err = await failure(adapter().analyze({ ...request, model: 'gemini-2.5-flash' }));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(err.details).toMatchObject({ status: 404, reason: 'NOT_FOUND', kind: AiFailureKind.Rejected, attempts: 1 });
    expect(err.message).toContain('models/gemini-2.5-flash is not found for API version v1beta');
    expect(fake.rejected).toHaveLength(1);
  });

  it('models.get tells a served model from a retired one', async () => {
    await expect(adapter().checkModel('gemini-3.8-flash')).resolves.toMatchObject({
      version: 'gemini-3.8-flash-fake-001',
    });
    const err = await failure(adapter().checkModel('gemini-2.5-flash'));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(fake.modelLookups).toEqual(['gemini-3.8-flash', 'gemini-2.5-flash']);
  });

  it('MAX_TOKENS (thinking used the whole budget) is retried once with twice the room; both calls are billed', async () => {
    fake.enqueue(geminiReply.maxTokens(), geminiReply.incident());
    const reply = await adapter().analyze({ ...request, model: 'gemini-3.8-flash', thinking: 'low' });
    expect(reply.attempts).toBe(2);
    expect(fake.requests.map((r) => r.generationConfig!.maxOutputTokens)).toEqual([4096, 8192]);
    // The cut-off reply's 4096 thinking tokens are counted.
    expect(reply.usage.thinking_tokens).toBe(4096);
  });

  it('MAX_TOKENS twice is AI_BAD_REPLY max_tokens, not retried again', async () => {
    fake.enqueue(geminiReply.maxTokens(), geminiReply.maxTokens(), geminiReply.noIncident());
    const err = await failure(adapter().analyze({ ...request, model: 'gemini-3.8-flash', thinking: 'low' }));
    expect(err.details).toMatchObject({ kind: AiFailureKind.MaxTokens, attempts: 2 });
    expect(fake.requestCount).toBe(2);
  });

  it.each(['IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'PROHIBITED_CONTENT', 'OTHER', 'SAFETY'])(
    'finishReason %s is a safety block, not an empty reply to retry',
    async (reason) => {
      fake.enqueue(geminiReply.finish(reason), geminiReply.noIncident());
      const err = await failure(adapter().analyze(request));
      expect(err.code).toBe(ErrorCode.AiRefused);
      expect(err.details).toMatchObject({ kind: AiFailureKind.SafetyBlocked, reason });
      expect(fake.requestCount).toBe(1);
    },
  );

  it('the strict fake rejects a schema keyword the API does not know (400 INVALID_ARGUMENT, real shape)', async () => {
    const res = await fetch(`${fake.baseUrl}/v1beta/models/gemini-3.5-flash-lite:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key' },
      body: JSON.stringify({
        contents: [{ role: 'user', parts: [{ text: 'x' }] }],
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: { type: 'OBJECT', properties: { a: { type: 'STRING' } }, additionalProperties: false },
        },
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; status: string; message: string; details: unknown[] } };
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(body.error.message).toBe(
      `Invalid JSON payload received. Unknown name "additionalProperties" at 'generation_config.response_schema': Cannot find field.`,
    );
    expect(body.error.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.BadRequest' });
  });

  it('the strict fake rejects MINIMAL thinking on 3.8 Flash and both thinking fields at once', async () => {
    const post = (model: string, thinkingConfig: unknown) =>
      fetch(`${fake.baseUrl}/v1beta/models/${model}:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key' },
        body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig } }),
      });
    expect((await post('gemini-3.8-flash', { thinkingLevel: 'MINIMAL' })).status).toBe(400);
    expect((await post('gemini-3.5-flash-lite', { thinkingLevel: 'LOW', thinkingBudget: 0 })).status).toBe(400);
    expect((await post('gemini-3.5-flash-lite', { thinkingLevel: 'MINIMAL' })).status).toBe(200);
  });
});

describe('thinkingConfigFor', () => {
  it('uses budgets on 2.5 models and levels on 3.x, never MINIMAL where the model refuses it', () => {
    expect(thinkingConfigFor('gemini-2.5-flash-lite', 'none')).toEqual({ thinkingBudget: 0 });
    expect(thinkingConfigFor('gemini-2.5-pro', 'none')).toEqual({ thinkingBudget: 128 });
    expect(thinkingConfigFor('gemini-3.5-flash-lite', 'none')).toEqual({ thinkingLevel: 'MINIMAL' });
    expect(thinkingConfigFor('gemini-3.8-flash', 'none')).toEqual({ thinkingLevel: 'LOW' });
    expect(thinkingConfigFor('gemini-3.1-pro-preview', 'low')).toEqual({ thinkingLevel: 'LOW' });
    expect(thinkingConfigFor('my-tuned-model', 'low')).toBeUndefined();
  });
});

describe('nextPacificMidnight', () => {
  it('is the next 00:00 in Los Angeles, summer and winter', () => {
    expect(nextPacificMidnight(Date.parse('2026-07-01T12:00:00Z'))).toBe(Date.parse('2026-07-02T07:00:00Z'));
    expect(nextPacificMidnight(Date.parse('2026-12-01T07:59:00Z'))).toBe(Date.parse('2026-12-01T08:00:00Z'));
  });
});

describe('parseRetryDelay', () => {
  it('reads protobuf durations', () => {
    expect(parseRetryDelay('2s')).toBe(2000);
    expect(parseRetryDelay('1.500s')).toBe(1500);
    expect(parseRetryDelay('soon')).toBeUndefined();
  });
});

function geminiNone() {
  return {
    incident: false,
    incident_type: 'none',
    risk_level: 'NONE',
    description: 'calm',
    confidence: 0.8,
    frame_indexes: [],
  };
}
