import {
  ApiError,
  GoogleGenAI,
  HarmBlockThreshold,
  HarmCategory,
  type GenerateContentResponse,
  type Part,
  type SafetySetting,
  type Schema,
  type ThinkingConfig,
} from '@google/genai';
import {
  AiFailureKind,
  AppError,
  ErrorCode,
  ZERO_USAGE,
  addTokenUsage,
  aiErrorDetails,
  parseVerdict,
  type AiErrorDetails,
  type AiVerdict,
  type AnalysisReply,
  type AnalysisRequest,
  type ThinkingEffort,
  type TokenUsage,
} from '@vigint/contracts';
import { silentLogger, type Logger } from '@vigint/logger';
import { classifyHttpError, parseErrorBody } from './gemini-errors';
import { maxOutputTokensFor, thinkingConfigFor } from './gemini-thinking';
import { VERDICT_RESPONSE_SCHEMA } from './verdict-schema';

/*
 * The only module that imports @google/genai (the maintained SDK; @google/generative-ai reached end of
 * life on 2025-08-31). It satisfies the AnalysisProvider interface of libs/core/alerting structurally.
 */

export interface GeminiAdapterOptions {
  apiKey: string;
  /** GEMINI_BASE_URL: any endpoint speaking Gemini's REST API (tests use a local fake). */
  baseUrl?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Requests per analyze() call for 429/5xx/timeouts, first one included (default 3). */
  maxAttempts?: number;
  /** No retry is started that would end after this many ms since the call began (default 60 s). */
  maxTotalMs?: number;
  /** Exponential backoff for 5xx and timeouts: base · 2^(attempt-1), capped, with jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  temperature?: number;
  log?: Logger;
  /** Injected in tests to make jitter deterministic. */
  random?: () => number;
  now?: () => number;
}

/**
 * Security footage shows exactly what default filters block (weapons, violence): the adjustable
 * categories are relaxed as far as the API allows (ai.google.dev/gemini-api/docs/safety-settings).
 * IMAGE_SAFETY and PROHIBITED_CONTENT blocks are not adjustable; they are handled as a declined answer.
 */
export const SECURITY_SAFETY_SETTINGS: SafetySetting[] = [
  { category: HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT, threshold: HarmBlockThreshold.OFF },
  { category: HarmCategory.HARM_CATEGORY_HARASSMENT, threshold: HarmBlockThreshold.OFF },
  { category: HarmCategory.HARM_CATEGORY_HATE_SPEECH, threshold: HarmBlockThreshold.BLOCK_ONLY_HIGH },
  { category: HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT, threshold: HarmBlockThreshold.BLOCK_ONLY_HIGH },
];

/** Finish reasons (and prompt block reasons) meaning a filter stopped the answer, not the model. */
const BLOCKED_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'LANGUAGE',
  'OTHER',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
  'IMAGE_OTHER',
]);

function usageOf(response: GenerateContentResponse | undefined): TokenUsage {
  const u = response?.usageMetadata;
  if (!u) return { ...ZERO_USAGE };
  const prompt = u.promptTokenCount ?? 0;
  const thinking = u.thoughtsTokenCount ?? 0;
  // Thinking tokens are billed as output (ai.google.dev/gemini-api/docs/pricing).
  const completion = (u.candidatesTokenCount ?? 0) + thinking;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.totalTokenCount ?? prompt + completion,
    thinking_tokens: thinking,
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

/** An AppError with more details merged in (AppError is immutable). */
function withDetails(error: AppError, extra: AiErrorDetails): AppError {
  const details = { ...aiErrorDetails(error), ...extra };
  return new AppError(error.code, error.message, { field: error.field, details, cause: error.cause ?? error });
}

interface Attempt {
  verdict: AiVerdict;
  usage: TokenUsage;
  modelVersion?: string;
}

export class GeminiAdapter {
  readonly name = 'gemini';
  private readonly client: GoogleGenAI;
  private readonly log: Logger;
  private readonly opts: Required<Omit<GeminiAdapterOptions, 'apiKey' | 'baseUrl' | 'log'>>;

  constructor(options: GeminiAdapterOptions) {
    if (!options.apiKey) throw new AppError(ErrorCode.Internal, 'GeminiAdapter needs an API key (GOOGLE_API_KEY)');
    const baseUrl = options.baseUrl?.replace(/\/+$/, '');
    this.client = new GoogleGenAI({ apiKey: options.apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) });
    this.log = (options.log ?? silentLogger).child({ module: 'gemini' });
    this.opts = {
      timeoutMs: options.timeoutMs ?? 30_000,
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      maxTotalMs: options.maxTotalMs ?? 60_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 16_000,
      temperature: options.temperature ?? 0.1,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
  }

  /**
   * models.get for each model: a retired or unknown model is an AppError AI_REJECTED naming it, so the
   * app can stop at start naming the variable. Network trouble is AI_UNAVAILABLE (the app may go on).
   */
  async checkModel(model: string): Promise<{ model: string; version?: string }> {
    try {
      const info = await this.client.models.get({
        model,
        config: { abortSignal: AbortSignal.timeout(this.opts.timeoutMs) },
      });
      return { model, version: info.version };
    } catch (err) {
      throw this.toAppError(err, model, undefined);
    }
  }

  async analyze(request: AnalysisRequest): Promise<AnalysisReply> {
    const started = this.opts.now();
    let billed: TokenUsage = { ...ZERO_USAGE, thinking_tokens: 0 };
    let thinking: ThinkingEffort = request.thinking ?? 'none';
    let maxOutputTokens = maxOutputTokensFor(thinking);
    let roomRetried = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.once(request, thinking, maxOutputTokens);
        return {
          verdict: reply.verdict,
          usage: addTokenUsage(billed, reply.usage),
          model: request.model,
          modelVersion: reply.modelVersion,
          provider: this.name,
          durationMs: this.opts.now() - started,
          attempts: attempt,
        };
      } catch (err) {
        const error = this.toAppError(err, request.model, request.signal);
        const details = aiErrorDetails(error);
        if (details.usage) billed = addTokenUsage(billed, details.usage);
        const final = withDetails(error, { usage: billed, attempts: attempt, model: request.model });
        if (details.kind === AiFailureKind.MaxTokens && !roomRetried) {
          // Cut off (usually by thinking): once more with twice the room and as little thinking as allowed.
          roomRetried = true;
          thinking = 'none';
          maxOutputTokens *= 2;
          this.log.warn({ model: request.model, attempt, maxOutputTokens }, 'gemini reply cut off, retrying with room');
          continue;
        }
        if (details.retryable !== true || attempt >= this.opts.maxAttempts) throw final;
        // 429: wait what the API asked (plus a little jitter so parallel callers spread out); else backoff.
        const wait =
          details.retryAfterMs !== undefined
            ? details.retryAfterMs + Math.floor(this.opts.random() * 250)
            : this.backoff(attempt);
        if (this.opts.now() - started + wait > this.opts.maxTotalMs) throw final;
        this.log.warn(
          { model: request.model, attempt, waitMs: wait, kind: details.kind, status: details.status },
          'gemini request failed, retrying',
        );
        try {
          await sleep(wait, request.signal);
        } catch {
          throw new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err, details: { usage: billed } });
        }
      }
    }
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the step, so retries never bunch up near zero.
    return Math.round(cap / 2 + this.opts.random() * (cap / 2));
  }

  private async once(request: AnalysisRequest, thinking: ThinkingEffort, maxOutputTokens: number): Promise<Attempt> {
    const parts: Part[] = [{ text: request.prompt }];
    for (const image of request.images)
      parts.push({ inlineData: { mimeType: image.mimeType, data: image.data.toString('base64') } });
    if (request.video)
      parts.push({ inlineData: { mimeType: request.video.mimeType, data: request.video.data.toString('base64') } });

    // Our own timeout signal rather than httpOptions.timeout, so an abort from the caller and the
    // timeout end the same request the same way.
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.opts.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const thinkingConfig = thinkingConfigFor(request.model, thinking);
    const response = await this.client.models.generateContent({
      model: request.model,
      contents: [{ role: 'user', parts }],
      config: {
        responseMimeType: 'application/json',
        responseSchema: VERDICT_RESPONSE_SCHEMA as unknown as Schema,
        temperature: this.opts.temperature,
        maxOutputTokens,
        candidateCount: 1,
        safetySettings: SECURITY_SAFETY_SETTINGS,
        // Same string values as the SDK's ThinkingLevel enum.
        ...(thinkingConfig ? { thinkingConfig: thinkingConfig as ThinkingConfig } : {}),
        abortSignal: signal,
      },
    });
    const usage = usageOf(response);
    const modelVersion = response.modelVersion;
    const fail = (code: ErrorCode, message: string, details: AiErrorDetails) =>
      new AppError(code, message, {
        details: { ...details, usage, model: request.model, provider: this.name } satisfies AiErrorDetails,
      });

    const blockReason = response.promptFeedback?.blockReason;
    if (blockReason) {
      throw fail(ErrorCode.AiRefused, `the AI declined the footage (prompt blocked: ${blockReason})`, {
        kind: AiFailureKind.SafetyBlocked,
        reason: String(blockReason),
        retryable: false,
      });
    }
    const candidate = response.candidates?.[0];
    if (!candidate)
      throw fail(ErrorCode.AiBadReply, 'the AI returned no answer', {
        kind: AiFailureKind.BadReply,
        reason: 'no_candidates',
        retryable: false,
      });
    const finish = String(candidate.finishReason ?? '');
    if (BLOCKED_FINISH_REASONS.has(finish)) {
      throw fail(ErrorCode.AiRefused, `the AI declined the footage (finish reason ${finish})`, {
        kind: AiFailureKind.SafetyBlocked,
        reason: finish,
        retryable: false,
      });
    }
    // Thought summaries (`thought: true` parts) are not part of the answer.
    const text = (candidate.content?.parts ?? [])
      .filter((p) => !p.thought)
      .map((p) => p.text ?? '')
      .join('');
    if (finish === 'MAX_TOKENS') {
      throw fail(ErrorCode.AiBadReply, `the AI reply was cut off at ${maxOutputTokens} output tokens (MAX_TOKENS)`, {
        kind: AiFailureKind.MaxTokens,
        reason: finish,
        retryable: false,
      });
    }
    if (!text)
      throw fail(ErrorCode.AiBadReply, 'the AI reply is empty', {
        kind: AiFailureKind.BadReply,
        reason: finish || 'empty',
        retryable: false,
      });
    try {
      return { verdict: parseVerdict(text), usage, modelVersion };
    } catch (err) {
      throw err instanceof AppError ? withDetails(err, { usage, model: request.model, retryable: false }) : err;
    }
  }

  private toAppError(err: unknown, model: string, signal: AbortSignal | undefined): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof ApiError) {
      const error = classifyHttpError(err.status, parseErrorBody(err.message), { model, now: this.opts.now() });
      this.log.warn({ model, status: err.status, ...pick(aiErrorDetails(error)), err: error.message }, 'gemini error');
      return new AppError(error.code, error.message, { details: error.details, cause: err });
    }
    if (signal?.aborted) return new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err });
    const name = (err as { name?: string } | undefined)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') {
      return new AppError(ErrorCode.AiUnavailable, 'the AI request timed out', {
        cause: err,
        details: {
          kind: AiFailureKind.Unavailable,
          reason: 'timeout',
          retryable: true,
          model,
        } satisfies AiErrorDetails,
      });
    }
    // Network errors (connection refused, reset) come as TypeError from fetch.
    return new AppError(ErrorCode.AiUnavailable, 'the AI service is unreachable', {
      cause: err,
      details: { kind: AiFailureKind.Unavailable, reason: 'network', retryable: true, model } satisfies AiErrorDetails,
    });
  }
}

function pick(d: AiErrorDetails): Pick<AiErrorDetails, 'kind' | 'reason' | 'quotaId'> {
  return { kind: d.kind, reason: d.reason, quotaId: d.quotaId };
}
