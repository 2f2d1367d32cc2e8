import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIFetchError,
  type GenerateContentResponse,
  type Part,
  type ResponseSchema,
} from '@google/generative-ai';
import { Value } from '@sinclair/typebox/value';
import { AiVerdict, AppError, ErrorCode, parseRiskLevel, type TokenUsage } from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import type { AnalysisProvider, AnalysisReply, AnalysisRequest } from './analysis-provider';
import { VERDICT_RESPONSE_SCHEMA } from './verdict-schema';

/*
 * The only module that imports @google/generative-ai (deprecated upstream in favour of @google/genai):
 * swapping SDKs means rewriting this file and nothing else.
 */

export interface GeminiAdapterOptions {
  apiKey: string;
  /** GEMINI_BASE_URL: any endpoint speaking Gemini's REST API (tests use a local fake). */
  baseUrl?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Requests per analyze() call, first one included (default 3). */
  maxAttempts?: number;
  /** No retry is started that would end after this many ms since the call began (default 60 s). */
  maxTotalMs?: number;
  /** Exponential backoff for 5xx and timeouts: base · 2^(attempt-1), capped, with full jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  temperature?: number;
  maxOutputTokens?: number;
  log?: Logger;
  /** Injected in tests to make jitter deterministic. */
  random?: () => number;
}

const BLOCKING_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'LANGUAGE',
]);

/** Parses a google.protobuf.Duration in JSON form ("2s", "1.500s") into ms. */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

/** retryDelay from a google.rpc.RetryInfo entry of an error's details, in ms. */
export function retryDelayFromDetails(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details as Record<string, unknown>[]) {
    if (typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo'))
      return parseRetryDelay(d.retryDelay);
  }
  return undefined;
}

/** Reads the model's text into an AiVerdict; anything else is AI_BAD_REPLY, never a crash. */
export function parseVerdict(text: string): AiVerdict {
  const trimmed = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new AppError(ErrorCode.AiBadReply, 'the AI reply is not valid JSON', {
      details: { reason: 'malformed', length: text.length },
    });
  }
  if (value && typeof value === 'object' && 'risk_level' in value) {
    // Models sometimes answer "high" despite the enum; the case carries no meaning.
    const obj = value as Record<string, unknown>;
    obj.risk_level = parseRiskLevel(obj.risk_level) ?? obj.risk_level;
  }
  if (!Value.Check(AiVerdict, value)) {
    const first = Value.Errors(AiVerdict, value).First();
    const field = first?.path.replace(/^\//, '').replace(/\//g, '.') || undefined;
    throw new AppError(
      ErrorCode.AiBadReply,
      `the AI reply does not match the verdict schema: ${field ?? 'body'} ${first?.message ?? ''}`.trim(),
      {
        field,
        details: { reason: 'off_schema' },
      },
    );
  }
  return value;
}

function usageOf(response: GenerateContentResponse): TokenUsage {
  const u = response.usageMetadata as
    | {
        promptTokenCount?: number;
        candidatesTokenCount?: number;
        totalTokenCount?: number;
        thoughtsTokenCount?: number;
      }
    | undefined;
  const prompt = u?.promptTokenCount ?? 0;
  // Thinking tokens (2.5 models) are billed as output.
  const completion = (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u?.totalTokenCount ?? prompt + completion,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isRetryable(err: AppError): boolean {
  const d = err.details as { retryable?: boolean } | undefined;
  return err.code === ErrorCode.AiUnavailable && d?.retryable === true;
}

export class GeminiAdapter implements AnalysisProvider {
  readonly name = 'gemini';
  private readonly client: GoogleGenerativeAI;
  private readonly log: Logger;
  private readonly opts: Required<Omit<GeminiAdapterOptions, 'apiKey' | 'baseUrl' | 'log'>> & { baseUrl?: string };

  constructor(options: GeminiAdapterOptions) {
    if (!options.apiKey) throw new AppError(ErrorCode.Internal, 'GeminiAdapter needs an API key (GOOGLE_API_KEY)');
    this.client = new GoogleGenerativeAI(options.apiKey);
    this.log = (options.log ?? silentLogger).child({ module: 'gemini' });
    this.opts = {
      baseUrl: options.baseUrl?.replace(/\/+$/, ''),
      timeoutMs: options.timeoutMs ?? 30_000,
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      maxTotalMs: options.maxTotalMs ?? 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 16_000,
      temperature: options.temperature ?? 0.1,
      maxOutputTokens: options.maxOutputTokens ?? 1_024,
      random: options.random ?? Math.random,
    };
  }

  async analyze(request: AnalysisRequest): Promise<AnalysisReply> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const { verdict, usage } = await this.once(request);
        return { verdict, usage, model: request.model, durationMs: Date.now() - started, attempts: attempt };
      } catch (err) {
        const error = this.toAppError(err, request);
        const details = (error.details ?? {}) as { retryAfterMs?: number };
        if (!isRetryable(error) || attempt >= this.opts.maxAttempts) throw this.withAttempts(error, attempt);
        // 429: wait what the API asked (plus a little jitter so parallel callers spread out); else backoff.
        const wait =
          details.retryAfterMs !== undefined
            ? details.retryAfterMs + Math.floor(this.opts.random() * 250)
            : this.backoff(attempt);
        if (Date.now() - started + wait > this.opts.maxTotalMs) throw this.withAttempts(error, attempt);
        this.log.warn(
          {
            model: request.model,
            attempt,
            waitMs: wait,
            code: error.code,
            status: (error.details as { status?: number }).status,
          },
          'gemini request failed, retrying',
        );
        try {
          await sleep(wait, request.signal);
        } catch {
          throw new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err });
        }
      }
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the step, so retries never bunch up near zero.
    return Math.round(cap / 2 + this.opts.random() * (cap / 2));
  }

  private withAttempts(error: AppError, attempts: number): AppError {
    const details = { ...((error.details as object | undefined) ?? {}), attempts };
    return new AppError(error.code, error.message, { field: error.field, details, cause: error.cause ?? error });
  }

  private async once(request: AnalysisRequest): Promise<{ verdict: AiVerdict; usage: TokenUsage }> {
    const model = this.client.getGenerativeModel(
      {
        model: request.model,
        generationConfig: {
          responseMimeType: 'application/json',
          responseSchema: VERDICT_RESPONSE_SCHEMA as unknown as ResponseSchema,
          temperature: this.opts.temperature,
          maxOutputTokens: this.opts.maxOutputTokens,
          candidateCount: 1,
        },
      },
      { baseUrl: this.opts.baseUrl },
    );
    const parts: Part[] = [{ text: request.prompt }];
    for (const image of request.images)
      parts.push({ inlineData: { mimeType: image.mimeType, data: image.data.toString('base64') } });
    if (request.video)
      parts.push({ inlineData: { mimeType: request.video.mimeType, data: request.video.data.toString('base64') } });

    // Our own timeout signal rather than the SDK's `timeout`: the SDK never clears its timer, which would keep
    // a short-lived process (tests, CLI) alive for the whole timeout.
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.opts.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const result = await model.generateContent({ contents: [{ role: 'user', parts }] }, { signal });
    const response = result.response;

    const blockReason = response.promptFeedback?.blockReason;
    if (blockReason) {
      throw new AppError(ErrorCode.AiRefused, `the AI refused the request (${blockReason})`, {
        details: { reason: blockReason },
      });
    }
    const candidate = response.candidates?.[0];
    if (!candidate)
      throw new AppError(ErrorCode.AiRefused, 'the AI returned no answer', { details: { reason: 'no_candidates' } });
    const finish = String(candidate.finishReason ?? '');
    if (BLOCKING_FINISH_REASONS.has(finish)) {
      throw new AppError(ErrorCode.AiRefused, `the AI stopped its answer (${finish})`, { details: { reason: finish } });
    }
    const text = (candidate.content?.parts ?? []).map((p) => p.text ?? '').join('');
    if (!text)
      throw new AppError(ErrorCode.AiBadReply, 'the AI reply is empty', {
        details: { reason: 'empty', finishReason: finish },
      });
    return { verdict: parseVerdict(text), usage: usageOf(response) };
  }

  private toAppError(err: unknown, request: AnalysisRequest): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof GoogleGenerativeAIFetchError) {
      const status = err.status ?? 0;
      if (status === 429) {
        const retryAfterMs = retryDelayFromDetails(err.errorDetails);
        return new AppError(ErrorCode.AiUnavailable, 'the AI rate limit was reached', {
          cause: err,
          details: { status, retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
        });
      }
      return new AppError(ErrorCode.AiUnavailable, `the AI service answered ${status}`, {
        cause: err,
        // 4xx other than 429 (bad key, bad request) will not get better by asking again.
        details: { status, retryable: status >= 500 || status === 408 },
      });
    }
    if (request.signal?.aborted) return new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err });
    if (err instanceof GoogleGenerativeAIAbortError) {
      return new AppError(ErrorCode.AiUnavailable, 'the AI request timed out', {
        cause: err,
        details: { timeout: true, retryable: true },
      });
    }
    // Network errors (connection refused, reset) come as plain GoogleGenerativeAIError.
    return new AppError(ErrorCode.AiUnavailable, 'the AI service is unreachable', {
      cause: err,
      details: { retryable: true },
    });
  }
}
