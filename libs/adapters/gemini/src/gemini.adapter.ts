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
  aiErrorDetails,
  parseVerdict,
  type AnalysisReply,
  type AnalysisRequest,
  type ThinkingEffort,
  type TokenUsage,
  aiTransportError,
  analyzeWithRetries,
  withAiDetails,
  type AiAttempt,
  type AiErrorDetails,
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
    return analyzeWithRetries(request, this.opts, {
      provider: this.name,
      once: (thinking, maxOutputTokens) => this.once(request, thinking, maxOutputTokens),
      toAppError: (err) => this.toAppError(err, request.model, request.signal),
      maxOutputTokensFor,
      warn: (fields, message) => this.log.warn(fields, message),
    });
  }

  private async once(request: AnalysisRequest, thinking: ThinkingEffort, maxOutputTokens: number): Promise<AiAttempt> {
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
      throw err instanceof AppError ? withAiDetails(err, { usage, model: request.model, retryable: false }) : err;
    }
  }

  private toAppError(err: unknown, model: string, signal: AbortSignal | undefined): AppError {
    if (err instanceof AppError) return err;
    if (err instanceof ApiError) {
      const error = classifyHttpError(err.status, parseErrorBody(err.message), { model, now: this.opts.now() });
      this.log.warn({ model, status: err.status, ...pick(aiErrorDetails(error)), err: error.message }, 'gemini error');
      return new AppError(error.code, error.message, { details: error.details, cause: err });
    }
    return aiTransportError(err, model, signal);
  }
}

function pick(d: AiErrorDetails): Pick<AiErrorDetails, 'kind' | 'reason' | 'quotaId'> {
  return { kind: d.kind, reason: d.reason, quotaId: d.quotaId };
}
