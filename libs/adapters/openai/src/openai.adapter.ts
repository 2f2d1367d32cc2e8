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
import { classifyOpenAiError, parseOpenAiError } from './openai-errors';
import { isReasoningModel, maxOutputTokensFor, maxTokensFieldFor, reasoningEffortFor } from './openai-params';
import { VERDICT_RESPONSE_FORMAT } from './verdict-json-schema';

/*
 * An OpenAI-compatible Chat Completions client (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio) over
 * plain fetch: the `openai` SDK's maintained line (7.x) needs Node 22, its 6.x line gets no releases since
 * 7.0, and the one call used here is a JSON POST. Satisfies core's AnalysisProvider interface structurally.
 */

export interface OpenAiAdapterOptions {
  /** AI_BASE_URL, up to and including `/v1` (e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1). */
  baseUrl: string;
  /** AI_API_KEY; local servers usually take none. */
  apiKey?: string;
  /** Per-request timeout (default 60 s: local models on a CPU are slow). */
  timeoutMs?: number;
  /** Requests per analyze() call for 429/5xx/timeouts, first one included (default 3). */
  maxAttempts?: number;
  /** No retry is started that would end after this many ms since the call began (default 90 s). */
  maxTotalMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  temperature?: number;
  log?: Logger;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
}

interface ChatCompletion {
  model?: string;
  system_fingerprint?: string | null;
  choices?: {
    finish_reason?: string | null;
    message?: { content?: string | null; refusal?: string | null };
  }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    total_tokens?: number;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
}

/** Reasoning tokens are part of completion_tokens and billed as output (platform.openai.com/docs/guides/reasoning). */
function usageOf(c: ChatCompletion | undefined): TokenUsage {
  const u = c?.usage;
  if (!u) return { ...ZERO_USAGE };
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: u.total_tokens ?? prompt + completion,
    thinking_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

export class OpenAiAdapter {
  readonly name = 'openai';
  private readonly log: Logger;
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly opts: Required<Omit<OpenAiAdapterOptions, 'baseUrl' | 'apiKey' | 'log' | 'fetch'>>;

  constructor(private readonly options: OpenAiAdapterOptions) {
    if (!options.baseUrl) throw new AppError(ErrorCode.Internal, 'OpenAiAdapter needs a base URL (AI_BASE_URL)');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.log = (options.log ?? silentLogger).child({ module: 'openai' });
    this.opts = {
      timeoutMs: options.timeoutMs ?? 60_000,
      maxAttempts: Math.max(1, options.maxAttempts ?? 3),
      maxTotalMs: options.maxTotalMs ?? 90_000,
      backoffBaseMs: options.backoffBaseMs ?? 1_000,
      backoffMaxMs: options.backoffMaxMs ?? 16_000,
      temperature: options.temperature ?? 0.1,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
    };
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
    };
  }

  /**
   * `GET /models` and look for the model: every compatible server lists its models there (vLLM has no
   * `/models/{id}`). Not listed → AI_REJECTED naming what the server does serve; unreachable → AI_UNAVAILABLE.
   */
  async checkModel(model: string): Promise<{ model: string; version?: string }> {
    let res: Response;
    try {
      res = await this.fetch(`${this.baseUrl}/models`, {
        headers: this.headers(),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      throw this.toAppError(err, model, undefined);
    }
    const body = (await res.json().catch(() => undefined)) as { data?: { id?: string }[] } | undefined;
    if (!res.ok)
      throw classifyOpenAiError(res.status, parseOpenAiError(body), res.headers, { model, now: this.opts.now() });
    const ids = (body?.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    if (!ids.includes(model)) {
      const served = ids.slice(0, 10).join(', ') || 'none';
      throw new AppError(ErrorCode.AiRejected, `the AI server does not serve model ${model} (it serves: ${served})`, {
        details: { kind: AiFailureKind.Rejected, reason: 'model_not_found', status: 404, model, provider: this.name },
      });
    }
    return { model };
  }

  async analyze(request: AnalysisRequest): Promise<AnalysisReply> {
    if (request.video)
      throw new AppError(
        ErrorCode.AiRejected,
        'Chat Completions take no video: send frames (inline video is Gemini only)',
        {
          details: {
            kind: AiFailureKind.Rejected,
            reason: 'video_unsupported',
            model: request.model,
            provider: this.name,
          },
        },
      );
    return analyzeWithRetries(request, this.opts, {
      provider: this.name,
      once: (thinking, maxOutputTokens) => this.once(request, thinking, maxOutputTokens),
      toAppError: (err) => this.toAppError(err, request.model, request.signal),
      maxOutputTokensFor,
      warn: (fields, message) => this.log.warn(fields, message),
    });
  }

  /** The Chat Completions body: one user message with the prompt and each frame as a data URL. */
  requestBody(request: AnalysisRequest, thinking: ThinkingEffort, maxTokens: number): Record<string, unknown> {
    const content: Record<string, unknown>[] = [{ type: 'text', text: request.prompt }];
    for (const image of request.images)
      content.push({
        type: 'image_url',
        image_url: { url: `data:${image.mimeType};base64,${image.data.toString('base64')}` },
      });
    const reasoning = isReasoningModel(request.model);
    const effort = reasoningEffortFor(request.model, thinking);
    return {
      model: request.model,
      messages: [{ role: 'user', content }],
      response_format: VERDICT_RESPONSE_FORMAT,
      [maxTokensFieldFor(this.baseUrl, request.model)]: maxTokens,
      // Reasoning models accept only the default temperature.
      ...(reasoning ? {} : { temperature: this.opts.temperature }),
      ...(effort ? { reasoning_effort: effort } : {}),
      stream: false,
    };
  }

  private async once(request: AnalysisRequest, thinking: ThinkingEffort, maxTokens: number): Promise<AiAttempt> {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.opts.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const res = await this.fetch(`${this.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(this.requestBody(request, thinking, maxTokens)),
      signal,
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // vLLM behind some proxies answers 200 with an error object: the body decides, not only the status.
    const errorBody = parseOpenAiError(body);
    if (!res.ok || (body as { object?: string } | undefined)?.object === 'error') {
      const status = res.ok ? Number((errorBody?.code as number | undefined) ?? 500) || 500 : res.status;
      const error = classifyOpenAiError(status, errorBody, res.headers, { model: request.model, now: this.opts.now() });
      this.log.warn(
        { model: request.model, status, ...pick(aiErrorDetails(error)), err: error.message },
        'openai error',
      );
      throw error;
    }
    if (body === undefined)
      throw new AppError(ErrorCode.AiBadReply, 'the AI server answered without a JSON body', {
        details: { kind: AiFailureKind.BadReply, reason: 'not_json', retryable: false, model: request.model },
      });
    const completion = body as ChatCompletion;
    const usage = usageOf(completion);
    const modelVersion = completion.model ?? undefined;
    const fail = (code: ErrorCode, message: string, details: AiErrorDetails) =>
      new AppError(code, message, {
        details: { ...details, usage, model: request.model, provider: this.name } satisfies AiErrorDetails,
      });
    const choice = completion.choices?.[0];
    if (!choice)
      throw fail(ErrorCode.AiBadReply, 'the AI returned no choice', {
        kind: AiFailureKind.BadReply,
        reason: 'no_choices',
        retryable: false,
      });
    const finish = String(choice.finish_reason ?? '');
    const refusal = choice.message?.refusal;
    if (refusal) {
      // Structured Outputs: a refusal comes in its own field, with no content (guides/structured-outputs#refusals).
      throw fail(ErrorCode.AiRefused, `the AI declined the footage (refusal: ${refusal.slice(0, 200)})`, {
        kind: AiFailureKind.SafetyBlocked,
        reason: 'refusal',
        retryable: false,
      });
    }
    if (finish === 'content_filter') {
      throw fail(ErrorCode.AiRefused, 'the AI declined the footage (finish reason content_filter)', {
        kind: AiFailureKind.SafetyBlocked,
        reason: finish,
        retryable: false,
      });
    }
    if (finish === 'length') {
      throw fail(
        ErrorCode.AiBadReply,
        `the AI reply was cut off at ${maxTokens} output tokens (finish reason length)`,
        {
          kind: AiFailureKind.MaxTokens,
          reason: finish,
          retryable: false,
        },
      );
    }
    const content = choice.message?.content ?? '';
    if (!content)
      throw fail(ErrorCode.AiBadReply, 'the AI reply is empty', {
        kind: AiFailureKind.BadReply,
        reason: finish || 'empty',
        retryable: false,
      });
    try {
      return { verdict: parseVerdict(content), usage, modelVersion };
    } catch (err) {
      throw err instanceof AppError ? withAiDetails(err, { usage, model: request.model, retryable: false }) : err;
    }
  }

  /** Errors from the server are AppErrors already (classifyOpenAiError); the rest is transport. */
  private toAppError(err: unknown, model: string, signal: AbortSignal | undefined): AppError {
    return aiTransportError(err, model, signal);
  }
}

function pick(d: AiErrorDetails): Pick<AiErrorDetails, 'kind' | 'reason' | 'quotaId'> {
  return { kind: d.kind, reason: d.reason, quotaId: d.quotaId };
}
