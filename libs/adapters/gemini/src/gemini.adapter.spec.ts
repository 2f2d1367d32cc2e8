import { AppError, ErrorCode, IncidentType, RiskLevel } from '@vigint/contracts';
import { geminiReply, startFakeGemini, type FakeGemini } from '@vigint/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GeminiAdapter, parseRetryDelay, type GeminiAdapterOptions } from './gemini.adapter';

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

const request = { model: 'gemini-2.5-flash-lite', prompt: 'look', images: [{ mimeType: 'image/jpeg', data: JPEG }] };

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
    expect(sent.model).toBe('gemini-2.5-flash-lite');
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
      type: 'string',
      enum: ['NONE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
    });
    expect(JSON.stringify(schema)).not.toMatch(/maxLength|minimum|\$id|anyOf/);
    expect(reply.usage.prompt_tokens).toBeGreaterThan(0);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('takes usage from usageMetadata', async () => {
    fake.enqueue({
      kind: 'verdict',
      verdict: { ...geminiNone() },
      usage: { promptTokenCount: 600, candidatesTokenCount: 40, totalTokenCount: 640 },
    });
    const reply = await adapter().analyze(request);
    expect(reply.usage).toEqual({ prompt_tokens: 600, completion_tokens: 40, total_tokens: 640 });
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

  it('turns a safety block into AI_REFUSED', async () => {
    fake.enqueue(geminiReply.blocked('SAFETY'));
    const err = await failure(adapter().analyze(request));
    expect(err.code).toBe(ErrorCode.AiRefused);
    expect(err.permanent).toBe(true);
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
    expect(err.details).toMatchObject({ status: 429, retryAfterMs: 30_000, attempts: 1 });
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
    expect(err.details).toMatchObject({ timeout: true, attempts: 2 });
    expect(fake.requestCount).toBe(2);
  });

  it('does not retry a rejected API key', async () => {
    const err = await failure(adapter({ apiKey: 'wrong' }).analyze(request));
    expect(err.details).toMatchObject({ status: 400, attempts: 1 });
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
