import { AiFailureKind, AppError, ErrorCode, aiErrorDetails } from '@vigint/contracts';
import { openAiReply, startFakeOpenAi, type FakeOpenAi } from '@vigint/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiAdapter, type OpenAiAdapterOptions } from './openai.adapter';
import { INSUFFICIENT_QUOTA_BLOCK_MS, nextUtcMidnight, parseResetDuration } from './openai-errors';
import { reasoningEffortFor } from './openai-params';
import { VERDICT_RESPONSE_FORMAT } from './verdict-json-schema';

// A 1x1 JPEG: the fake checks each data URL decodes to an image with a size.
const JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = await startFakeOpenAi({ apiKey: 'sk-test-key' });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function adapter(over: Partial<OpenAiAdapterOptions> = {}): OpenAiAdapter {
  return new OpenAiAdapter({
    baseUrl: fake.baseUrl,
    apiKey: 'sk-test-key',
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

const request = (over: Record<string, unknown> = {}) => ({
  model: 'qwen2.5vl:7b',
  prompt: 'Is anything wrong?',
  images: [
    { mimeType: 'image/jpeg', data: JPEG },
    { mimeType: 'image/jpeg', data: JPEG },
  ],
  ...over,
});

describe('OpenAiAdapter against the strict fake', () => {
  it('sends one user message with the prompt and each frame as a data URL, and a strict json_schema', async () => {
    fake.enqueue(openAiReply.incident({}, { reasoningTokens: 40 }));
    const reply = await adapter().analyze(request());
    expect(reply.verdict.incident).toBe(true);
    expect(reply.provider).toBe('openai');
    expect(reply.modelVersion).toBe('qwen2.5vl:7b-fake-2026-12-01');
    const sent = fake.requests[0]!;
    expect(sent.apiKey).toBe('sk-test-key');
    expect(sent.prompt).toBe('Is anything wrong?');
    expect(sent.images.map((i) => i.bytes)).toEqual([JPEG.length, JPEG.length]);
    expect(sent.body.response_format).toEqual(VERDICT_RESPONSE_FORMAT);
    // A local server: the field Ollama and llama.cpp read, a low temperature, no reasoning_effort.
    expect(sent.body.max_tokens).toBe(2048);
    expect(sent.body.max_completion_tokens).toBeUndefined();
    expect(sent.body.temperature).toBe(0.1);
    expect(sent.body.reasoning_effort).toBeUndefined();
    // Reasoning tokens are inside completion_tokens (billed as output) and reported apart.
    expect(reply.usage.thinking_tokens).toBe(40);
    expect(reply.usage.completion_tokens).toBeGreaterThan(40);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('reasoning models get max_completion_tokens, the default temperature and the lowest effort per stage', async () => {
    await adapter().analyze(request({ model: 'gpt-5-mini', thinking: 'none' }));
    await adapter().analyze(request({ model: 'gpt-5-mini', thinking: 'low' }));
    await adapter().analyze(request({ model: 'gpt-5.1', thinking: 'none' }));
    const [a, b, c] = fake.requests.map((r) => r.body);
    expect(a).toMatchObject({ reasoning_effort: 'minimal', max_completion_tokens: 2048 });
    expect(a!.temperature).toBeUndefined();
    expect(a!.max_tokens).toBeUndefined();
    expect(b).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 4096 });
    expect(c).toMatchObject({ reasoning_effort: 'none' });
    expect(fake.rejected).toEqual([]);
  });

  it('the strict fake refuses what api.openai.com refuses (non-strict schema, max_tokens on gpt-5, bad data URL)', async () => {
    const post = (body: unknown) =>
      fetch(`${fake.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-key', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error: { code: string; param: string; message: string } },
      }));
    const messages = [{ role: 'user', content: 'hi' }];
    const loose = await post({
      model: 'gpt-4o-mini',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'v',
          strict: true,
          schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
        },
      },
    });
    expect(loose.status).toBe(400);
    expect(loose.body.error).toMatchObject({ code: 'invalid_json_schema', param: 'response_format' });
    expect(loose.body.error.message).toContain("'additionalProperties' is required to be supplied and to be false");
    const partial = await post({
      model: 'gpt-4o-mini',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'v',
          strict: true,
          schema: {
            type: 'object',
            properties: { a: { type: 'string' }, b: { type: 'string' } },
            required: ['a'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(partial.body.error.message).toContain("Missing 'b'");
    const old = await post({ model: 'gpt-5-mini', messages, max_tokens: 100 });
    expect(old.body.error).toMatchObject({ code: 'unsupported_parameter', param: 'max_tokens' });
    const bmp = await post({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }],
    });
    expect(bmp.body.error).toMatchObject({
      code: 'invalid_image_format',
      param: 'messages[0].content[0].image_url.url',
    });
  });

  it('an image the server cannot take is AI_REJECTED with its message, not retried', async () => {
    const err = await failure(adapter().analyze(request({ images: [{ mimeType: 'image/bmp', data: JPEG }] })));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(err.message).toContain("unsupported MIME type 'image/bmp'");
    expect(aiErrorDetails(err)).toMatchObject({
      kind: AiFailureKind.Rejected,
      status: 400,
      reason: 'invalid_image_format',
    });
    expect(fake.rejected).toHaveLength(1);
  });

  it('401 invalid_api_key is permanent, with the server reason, and the key is never echoed whole', async () => {
    const err = await failure(adapter({ apiKey: 'sk-wrong-key-1234' }).analyze(request()));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(aiErrorDetails(err)).toMatchObject({
      kind: AiFailureKind.Rejected,
      status: 401,
      reason: 'invalid_api_key',
      retryable: false,
    });
    expect(err.message).toContain('Incorrect API key provided');
    expect(err.message).not.toContain('sk-wrong-key-1234');
    expect(fake.rejected).toHaveLength(1);
  });

  it.each([
    ['openai', 'does not exist or you do not have access to it', 'model_not_found'],
    ['ollama', 'not found, try pulling it first', 'api_error'],
    ['vllm', 'does not exist.', 'NotFoundError'],
  ] as const)('an unknown model on %s (404) is AI_REJECTED with the server message', async (flavor, said, reason) => {
    const server = await startFakeOpenAi({ flavor });
    try {
      const err = await failure(
        new OpenAiAdapter({ baseUrl: server.baseUrl }).analyze(request({ model: 'no-such-model' })),
      );
      expect(err.code).toBe(ErrorCode.AiRejected);
      expect(err.message).toContain(said);
      expect(aiErrorDetails(err)).toMatchObject({ kind: AiFailureKind.Rejected, status: 404, reason });
      expect(server.rejected).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a per-minute 429 waits what the server says (x-ratelimit-reset-tokens) and retries', async () => {
    fake.enqueue(openAiReply.rateLimited('300ms'), openAiReply.noIncident());
    const started = Date.now();
    const reply = await adapter({ random: () => 0 }).analyze(request());
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(reply.attempts).toBe(2);
    expect(fake.requestCount).toBe(2);
  });

  it('retry-after (seconds) wins over the other hints', async () => {
    fake.enqueue(openAiReply.rateLimited('20s', { retryAfter: '0' }), openAiReply.noIncident());
    const reply = await adapter({ random: () => 0 }).analyze(request());
    expect(reply.attempts).toBe(2);
  });

  it('a per-day limit (RPD) is QuotaExhausted until the reset the server names, never retried', async () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    fake.enqueue(openAiReply.dailyLimit('6h12m0s'));
    const err = await failure(adapter({ now: () => now }).analyze(request()));
    expect(aiErrorDetails(err)).toMatchObject({
      kind: AiFailureKind.QuotaExhausted,
      quotaId: 'RPD',
      resetAt: now + (6 * 60 + 12) * 60_000,
    });
    expect(fake.requestCount).toBe(1);
  });

  it('insufficient_quota (no credit) blocks the model for an hour, never retried', async () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    fake.enqueue(openAiReply.insufficientQuota());
    const err = await failure(adapter({ now: () => now }).analyze(request()));
    expect(err.message).toContain('You exceeded your current quota');
    expect(aiErrorDetails(err)).toMatchObject({
      kind: AiFailureKind.QuotaExhausted,
      resetAt: now + INSUFFICIENT_QUOTA_BLOCK_MS,
      retryable: false,
    });
    expect(fake.requestCount).toBe(1);
  });

  it('5xx is retried with backoff, then given up after maxAttempts with the server message', async () => {
    fake.enqueue(openAiReply.error(503), openAiReply.noIncident());
    expect((await adapter().analyze(request())).attempts).toBe(2);
    fake.reset();
    fake.setDefault(openAiReply.error(500));
    const err = await failure(adapter({ maxAttempts: 2 }).analyze(request()));
    expect(err.code).toBe(ErrorCode.AiUnavailable);
    expect(err.message).toContain('The server had an error');
    expect(aiErrorDetails(err)).toMatchObject({ kind: AiFailureKind.Unavailable, attempts: 2 });
    expect(fake.requestCount).toBe(2);
  });

  it('finish_reason length is retried once with twice the room and the least reasoning; both calls are billed', async () => {
    // 4090 reasoning tokens + the verdict do not fit 4096: the fake cuts the reply off as the real API does.
    fake.enqueue(
      openAiReply.incident({}, { reasoningTokens: 4090 }),
      openAiReply.incident({}, { reasoningTokens: 100 }),
    );
    const reply = await adapter().analyze(request({ model: 'gpt-5-mini', thinking: 'low' }));
    expect(reply.attempts).toBe(2);
    const [first, second] = fake.requests.map((r) => r.body);
    expect(first).toMatchObject({ max_completion_tokens: 4096, reasoning_effort: 'low' });
    expect(second).toMatchObject({ max_completion_tokens: 8192, reasoning_effort: 'minimal' });
    expect(reply.usage.thinking_tokens).toBe(4090 + 100);
    expect(reply.usage.completion_tokens).toBeGreaterThan(4096);
  });

  it('length twice → MaxTokens with every billed token counted', async () => {
    fake.setDefault(openAiReply.length());
    const err = await failure(adapter().analyze(request({ thinking: 'low' })));
    const d = aiErrorDetails(err);
    expect(d.kind).toBe(AiFailureKind.MaxTokens);
    expect(d.usage?.thinking_tokens).toBe(4096 + 4096);
    expect(fake.requestCount).toBe(2);
  });

  it('content_filter and a refusal are AI_REFUSED (SafetyBlocked), tokens counted, not retried', async () => {
    fake.enqueue(openAiReply.contentFilter());
    const filtered = await failure(adapter().analyze(request()));
    expect(filtered.code).toBe(ErrorCode.AiRefused);
    expect(aiErrorDetails(filtered)).toMatchObject({ kind: AiFailureKind.SafetyBlocked, reason: 'content_filter' });
    fake.enqueue(openAiReply.refusal());
    const refused = await failure(adapter().analyze(request()));
    expect(refused.code).toBe(ErrorCode.AiRefused);
    expect(refused.message).toContain('I cannot assist');
    expect(aiErrorDetails(refused).usage?.completion_tokens).toBe(11);
    expect(fake.requestCount).toBe(2);
  });

  it('off-schema and malformed JSON are AI_BAD_REPLY, not retried', async () => {
    fake.enqueue(openAiReply.text('{"incident": "maybe"}'));
    expect((await failure(adapter().analyze(request()))).code).toBe(ErrorCode.AiBadReply);
    fake.enqueue(openAiReply.text('not json'));
    expect((await failure(adapter().analyze(request()))).code).toBe(ErrorCode.AiBadReply);
    expect(fake.requestCount).toBe(2);
  });

  it('vLLM answering 200 with an error object is still an error', async () => {
    fake.enqueue(
      openAiReply.raw(200, {
        object: 'error',
        message: 'The model `x` does not exist.',
        type: 'NotFoundError',
        param: null,
        code: 404,
      }),
    );
    const err = await failure(adapter().analyze(request()));
    expect(aiErrorDetails(err)).toMatchObject({ kind: AiFailureKind.Rejected, status: 404 });
  });

  it('times out a slow reply (retryable) and reports an unreachable server as unavailable', async () => {
    fake.setDefault({ ...openAiReply.noIncident(), delayMs: 500 });
    const slow = await failure(adapter({ timeoutMs: 100, maxAttempts: 1 }).analyze(request()));
    expect(aiErrorDetails(slow)).toMatchObject({ kind: AiFailureKind.Unavailable, reason: 'timeout' });
    const gone = await failure(
      new OpenAiAdapter({ baseUrl: 'http://127.0.0.1:9/v1', maxAttempts: 1 }).analyze(request()),
    );
    expect(aiErrorDetails(gone)).toMatchObject({ kind: AiFailureKind.Unavailable, reason: 'network' });
  });

  it('refuses an inline video (Chat Completions take frames only)', async () => {
    const err = await failure(adapter().analyze(request({ video: { mimeType: 'video/mp4', data: JPEG } })));
    expect(aiErrorDetails(err)).toMatchObject({ kind: AiFailureKind.Rejected, reason: 'video_unsupported' });
    expect(fake.requestCount).toBe(0);
  });

  it('checkModel: a served model passes, another names what the server serves, a bad key is rejected', async () => {
    await expect(adapter().checkModel('gemma3:4b')).resolves.toEqual({ model: 'gemma3:4b' });
    const err = await failure(adapter().checkModel('llama9:1b'));
    expect(err.code).toBe(ErrorCode.AiRejected);
    expect(err.message).toContain('it serves: gpt-5-mini');
    const bad = await failure(adapter({ apiKey: 'nope' }).checkModel('gemma3:4b'));
    expect(aiErrorDetails(bad)).toMatchObject({ kind: AiFailureKind.Rejected, status: 401 });
  });
});

describe('helpers', () => {
  it('parses OpenAI reset durations', () => {
    expect(parseResetDuration('1s')).toBe(1000);
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('20ms')).toBe(20);
    expect(parseResetDuration('17h36m7.2s')).toBe((17 * 3600 + 36 * 60 + 7.2) * 1000);
    expect(parseResetDuration('soon')).toBeUndefined();
  });

  it('next UTC midnight', () => {
    expect(new Date(nextUtcMidnight(Date.parse('2026-12-02T23:59:00Z'))).toISOString()).toBe(
      '2026-12-03T00:00:00.000Z',
    );
  });

  it('reasoning effort per family', () => {
    expect(reasoningEffortFor('o4-mini', 'none')).toBe('low');
    expect(reasoningEffortFor('gpt-5-nano', 'none')).toBe('minimal');
    expect(reasoningEffortFor('gpt-5.2', 'none')).toBe('none');
    expect(reasoningEffortFor('gpt-4.1-mini', 'low')).toBeUndefined();
    expect(reasoningEffortFor('qwen3:8b', 'low')).toBeUndefined();
  });
});
