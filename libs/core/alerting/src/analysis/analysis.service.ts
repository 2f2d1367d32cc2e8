import {
  AiFailureKind,
  AiFallbackReason,
  AlertLanguage,
  AnalysisStage,
  AppError,
  BufferType,
  ErrorCode,
  IncidentType,
  RiskLevel,
  ZERO_USAGE,
  addTokenUsage,
  aiErrorDetails,
  riskAtLeast,
  type AiCall,
  type AiFallback,
  type AiVerdict,
  type AnalysisMedia,
  type AnalysisResult,
  type Polygon,
  type ThinkingEffort,
} from '@vigint/contracts';
import type { ImageAdapter } from '@vigint/image';
import { silentLogger, type Logger } from '@vigint/logger';
import { createConcurrencyLimit, type ConcurrencyLimit } from '../concurrency-limit';
import { OfflineAnalyzer } from '../offline-analyzer';
import type { SpendGuard } from '../budget/spend-guard';
import { DEFAULT_GEMINI_MODEL_LONG, DEFAULT_GEMINI_MODEL_SHORT, type StageModels } from './ai-models';
import { AI_FRAME_DEFAULTS, encodeAiFrame, selectAiFrames } from './ai-frames';
import { AiPricer } from './ai-prices';
import type { AnalysisProvider } from './analysis-provider';
import { fallbackNote } from './fallback-notes';
import { buildConfirmPrompt, buildScreenPrompt } from './prompts';
import { MemoryQuotaGate, type QuotaGate } from './quota-gate';

export const DEFAULT_MODELS: StageModels = { short: DEFAULT_GEMINI_MODEL_SHORT, long: DEFAULT_GEMINI_MODEL_LONG };

export interface AnalysisServiceOptions {
  /** Absent → the offline motion-only analyzer (no AI key configured). */
  provider?: AnalysisProvider;
  image: ImageAdapter;
  /** GEMINI_MODEL_SHORT / GEMINI_MODEL_LONG (or AI_MODEL_* for an OpenAI-compatible provider). */
  models: StageModels;
  /** Tried when a stage's model is unavailable (5xx after backoff), rate limited or out of daily quota. */
  fallbackModel?: string;
  /** Models out of daily quota, shared across processes in distributed mode (default: this process only). */
  quota?: QuotaGate;
  /** Prices each call (cost_usd) and warns about unpriced models. */
  pricer?: AiPricer;
  /** Per-client AI spend budget, checked before the first call and charged after. */
  budget?: SpendGuard;
  /** Thinking of the confirming call (default `low`: a small budget; `none` to compare). */
  confirmThinking?: ThinkingEffort;
  log?: Logger;
  /** AI calls in flight at once from this instance (default 4). */
  concurrency?: number;
  /** Frames the screening model sees: the last ones of the short buffer (default 3). */
  screenFrames?: number;
  /** Frames the confirming model sees, spread across the long buffer (default 6). */
  confirmFrames?: number;
  /** Long side of the images sent, px (default 768). */
  maxSide?: number;
  jpegQuality?: number;
  /** Send the long buffer as inline video instead of frames when it is at most this big and unmasked (default 0: never). */
  inlineVideoMaxBytes?: number;
  timeoutMs?: number;
  now?: () => number;
}

export interface AnalyzeInput {
  /** The short buffer (~3 s), oldest first. With bufferType long, the long buffer itself. */
  frames: Buffer[];
  /** The long buffer (~10 s) for the confirming stage; defaults to `frames`. */
  longFrames?: Buffer[];
  /**
   * The frames were chosen and encoded by prepareAiFrames (distributed mode, on the agent): `frames` are the
   * screening images and `longFrames` the confirming ones, masked and AI-sized, sent as they are (a frame that is
   * not a JPEG within maxSide is still re-encoded).
   */
  prepared?: boolean;
  /** How many frames the short buffer had, when `frames` are prepared ones. */
  frameCount?: number;
  /** The long buffer as a small clip (used only under inlineVideoMaxBytes and without masks). */
  longVideo?: AnalysisMedia;
  bufferType?: BufferType | 'short' | 'long';
  language: AlertLanguage;
  masks?: readonly Polygon[];
  cameraName?: string;
  /** Seconds the short and long buffers span, for the prompt. */
  shortSpanSeconds?: number;
  longSpanSeconds?: number;
  /** The client whose spend budget pays for the calls (distributed mode; local mode has one). */
  clientId?: string;
  /**
   * False while the caller can still retry (a queued job with attempts left): a transient screening failure
   * is then thrown so the job retries. True (the default) falls back to the offline analysis instead:
   * no incident is dropped because a model failed.
   */
  lastAttempt?: boolean;
  signal?: AbortSignal;
}

interface StageOutcome {
  verdict: AiVerdict;
  call: AiCall;
  /** Index in the caller's array of each image sent. */
  sent: number[];
}

type StageResult = { ok: true; outcome: StageOutcome } | { ok: false; error: AppError; model: string };

/** Kinds worth trying the fallback model for: the primary model, not the request, is the problem. */
const FALLBACK_KINDS = new Set([AiFailureKind.Unavailable, AiFailureKind.RateLimited, AiFailureKind.QuotaExhausted]);

/**
 * Two-stage analysis (docs/compatibility.md, `buffer_type`): the short model screens the last frames; only on
 * an incident, the long model looks at frames spread across the long buffer and has the final word.
 * Whenever a model cannot answer, the result says so (`ai_fallback`) and a fallback decides: the screening
 * verdict when the confirm fails, the offline motion analysis when the screen fails. Nothing is dropped.
 */
export class AnalysisService {
  private readonly log: Logger;
  private readonly limit: ConcurrencyLimit;
  private readonly offline: OfflineAnalyzer;
  private readonly quota: QuotaGate;
  private readonly pricer: AiPricer;
  private readonly now: () => number;
  private readonly opts: Required<
    Pick<AnalysisServiceOptions, 'screenFrames' | 'confirmFrames' | 'maxSide' | 'jpegQuality' | 'inlineVideoMaxBytes'>
  >;

  constructor(private readonly options: AnalysisServiceOptions) {
    this.log = (options.log ?? silentLogger).child({ module: 'analysis' });
    this.limit = createConcurrencyLimit(options.concurrency ?? 4);
    this.offline = new OfflineAnalyzer(options.image);
    this.now = options.now ?? Date.now;
    this.quota = options.quota ?? new MemoryQuotaGate(this.now);
    this.pricer = options.pricer ?? new AiPricer(undefined, options.log);
    this.opts = {
      screenFrames: options.screenFrames ?? AI_FRAME_DEFAULTS.screenFrames,
      confirmFrames: options.confirmFrames ?? AI_FRAME_DEFAULTS.confirmFrames,
      maxSide: options.maxSide ?? AI_FRAME_DEFAULTS.maxSide,
      jpegQuality: options.jpegQuality ?? AI_FRAME_DEFAULTS.jpegQuality,
      inlineVideoMaxBytes: options.inlineVideoMaxBytes ?? 0,
    };
  }

  get isOffline(): boolean {
    return this.options.provider === undefined;
  }

  get models(): StageModels {
    return this.options.models;
  }

  /**
   * models.get on each configured model (and the fallback): a retired or unknown model throws an Error naming
   * the variable to change. Unreachable services only warn: the app starts and the calls fall back.
   */
  async checkModels(
    sources: { short: string; long: string } = { short: 'GEMINI_MODEL_SHORT', long: 'GEMINI_MODEL_LONG' },
  ): Promise<void> {
    const provider = this.options.provider;
    if (!provider?.checkModel) return;
    const list: [string, string][] = [
      [this.options.models.short, sources.short],
      [this.options.models.long, sources.long],
    ];
    if (this.options.fallbackModel)
      list.push([this.options.fallbackModel, `${provider.name === 'openai' ? 'AI' : 'GEMINI'}_MODEL_FALLBACK`]);
    const seen = new Set<string>();
    for (const [model, variable] of list) {
      if (seen.has(model)) continue;
      seen.add(model);
      if (!this.pricer.has(model)) this.pricer.warnUnpriced(model);
      try {
        const info = await provider.checkModel(model);
        this.log.info({ model, version: info.version, variable }, 'AI model available');
      } catch (err) {
        const d = aiErrorDetails(err);
        if (d.kind === AiFailureKind.Rejected) {
          const hint =
            provider.name === 'openai'
              ? `Set ${variable} to a model the server lists at GET /models (Ollama: ollama pull <model> first).`
              : `It may be retired (ai.google.dev/gemini-api/docs/deprecations): set ${variable} to a current model, ` +
                `e.g. ${variable.includes('SHORT') ? DEFAULT_GEMINI_MODEL_SHORT : DEFAULT_GEMINI_MODEL_LONG}.`;
          throw new Error(
            `${variable}=${model}: the ${provider.name} API does not serve this model (${(err as Error).message}). ${hint}`,
          );
        }
        this.log.warn({ model, variable, err: (err as Error).message }, 'AI model could not be checked at start');
      }
    }
  }

  async analyze(input: AnalyzeInput): Promise<AnalysisResult> {
    if (input.frames.length === 0)
      throw new AppError(ErrorCode.NothingBuffered, 'no frames to analyze', { field: 'frames' });
    const provider = this.options.provider;
    if (!provider) return this.offline.analyze({ frames: input.frames, language: input.language, masks: input.masks });

    const budget = this.options.budget;
    if (budget && input.clientId) {
      const check = await budget.check(input.clientId);
      if (!check.allowed) {
        this.log.info({ clientId: input.clientId, period: check.period }, 'AI budget used up: offline analysis');
        return this.offlineFallback(input, [], {
          stage: AnalysisStage.Screen,
          reason: AiFallbackReason.BudgetExhausted,
          note: fallbackNote(input.language, AiFallbackReason.BudgetExhausted, { period: check.period }),
        });
      }
    }

    const calls: AiCall[] = [];
    try {
      return await this.twoStages(provider, input, calls);
    } finally {
      if (budget && input.clientId && calls.length > 0) {
        const usd = calls.reduce((n, c) => n + (c.cost_usd ?? 0), 0);
        await budget
          .record(input.clientId, usd, calls)
          .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'AI spend not recorded'));
      }
    }
  }

  private async twoStages(provider: AnalysisProvider, input: AnalyzeInput, calls: AiCall[]): Promise<AnalysisResult> {
    const all = (n: number) => Array.from({ length: n }, (_, i) => i);
    const prepared = input.prepared && input.longFrames?.length ? input.longFrames : undefined;
    const selection = prepared
      ? { screen: all(input.frames.length), long: prepared, confirm: all(prepared.length) }
      : selectAiFrames(input, this.opts);
    const long = selection.long;
    const screenIdx = selection.screen;
    const screenRun = await this.stage(provider, AnalysisStage.Screen, input, input.frames, screenIdx, calls, (n) =>
      buildScreenPrompt({
        language: input.language,
        frameCount: n,
        cameraName: input.cameraName,
        spanSeconds: input.shortSpanSeconds,
      }),
    );
    if (!screenRun.ok) return this.screenFailed(input, calls, screenRun);
    const screen = screenRun.outcome;
    const base = { frame_count: input.frameCount ?? input.frames.length, offline: false, ai_calls: calls };
    if (!screen.verdict.incident) {
      this.log.debug({ camera: input.cameraName, model: screen.call.model }, 'screening: no incident');
      return {
        ...base,
        ...this.fields(screen.verdict, screen.sent),
        model: screen.call.model,
        token_usage: this.usageOf(calls),
      };
    }

    const confirmIdx = selection.confirm;
    const confirmRun = await this.stage(provider, AnalysisStage.Confirm, input, long, confirmIdx, calls, (n) =>
      buildConfirmPrompt({
        language: input.language,
        frameCount: n,
        cameraName: input.cameraName,
        spanSeconds: input.longSpanSeconds,
        screening: screen.verdict,
      }),
    );
    if (!confirmRun.ok) {
      // The confirming model could not answer: the screening verdict stands, and the alert says why.
      const d = aiErrorDetails(confirmRun.error);
      const declined = d.kind === AiFailureKind.SafetyBlocked;
      const reason = declined ? AiFallbackReason.ConfirmDeclined : AiFallbackReason.ConfirmFailed;
      this.log.warn(
        {
          camera: input.cameraName,
          model: confirmRun.model,
          kind: d.kind,
          reason: d.reason,
          err: confirmRun.error.message,
        },
        'confirm stage could not answer: the screening verdict stands',
      );
      return {
        ...base,
        ...this.fields(screen.verdict, screen.sent),
        model: screen.call.model,
        token_usage: this.usageOf(calls),
        ai_fallback: {
          stage: AnalysisStage.Confirm,
          reason,
          note: fallbackNote(input.language, reason, { detail: d.reason ?? confirmRun.error.message }),
          model: confirmRun.model,
          error: confirmRun.error.message,
        },
      };
    }
    const confirm = confirmRun.outcome;
    const confirmed = confirm.verdict.incident;
    this.log.info(
      {
        camera: input.cameraName,
        confirmed,
        screenRisk: screen.verdict.risk_level,
        confirmRisk: confirm.verdict.risk_level,
      },
      confirmed ? 'incident confirmed' : 'incident vetoed',
    );
    return {
      ...base,
      ...this.fields(confirm.verdict, confirm.sent),
      model: confirm.call.model,
      token_usage: this.usageOf(calls),
      detailed_analysis: confirm.verdict.description,
      flash_confirmation: confirmed,
      flash_veto: !confirmed,
      // The veto is the final word: nothing about this scene may trigger an alert.
      ...(confirmed ? {} : { veto_reason: confirm.verdict.description, risk_level: RiskLevel.None }),
    };
  }

  private async screenFailed(
    input: AnalyzeInput,
    calls: AiCall[],
    run: { error: AppError; model: string },
  ): Promise<AnalysisResult> {
    const d = aiErrorDetails(run.error);
    const transient =
      run.error.code === ErrorCode.Timeout ||
      d.kind === AiFailureKind.Unavailable ||
      d.kind === AiFailureKind.RateLimited;
    if (transient && input.lastAttempt === false) {
      // The job has attempts left: let it retry later rather than alert on motion alone now.
      const details = { ...d, stage: AnalysisStage.Screen, ai_calls: [...calls] };
      throw new AppError(run.error.code, run.error.message, { field: run.error.field, details, cause: run.error });
    }
    if (run.error.code === ErrorCode.Timeout && input.signal?.aborted) throw run.error;
    const quota = d.kind === AiFailureKind.QuotaExhausted;
    const reason = quota ? AiFallbackReason.QuotaExhausted : AiFallbackReason.ScreenFailed;
    this.log.warn(
      { camera: input.cameraName, model: run.model, kind: d.kind, reason: d.reason, err: run.error.message },
      'screening model could not answer: offline motion analysis',
    );
    return this.offlineFallback(input, calls, {
      stage: AnalysisStage.Screen,
      reason,
      note: fallbackNote(input.language, reason, {
        detail: d.reason ?? run.error.message,
        ...(d.resetAt ? { resetAt: d.resetAt } : {}),
      }),
      model: run.model,
      error: run.error.message,
    });
  }

  private async offlineFallback(input: AnalyzeInput, calls: AiCall[], fallback: AiFallback): Promise<AnalysisResult> {
    const result = await this.offline.analyze({
      frames: input.frames,
      language: input.language,
      masks: input.masks,
      prefix: fallback.note,
    });
    return { ...result, ai_calls: [...calls], token_usage: this.usageOf(calls), ai_fallback: fallback };
  }

  private usageOf(calls: AiCall[]) {
    return calls.reduce((u, c) => addTokenUsage(u, c.usage), { ...ZERO_USAGE });
  }

  private fields(v: AiVerdict, sent: number[]) {
    // Callers alert on risk_level ≥ threshold: a "no incident" verdict must not carry an alerting risk level,
    // and an incident must not hide behind NONE (models are not always self-consistent).
    const risk = v.incident
      ? v.risk_level === RiskLevel.None
        ? RiskLevel.Low
        : v.risk_level
      : riskAtLeast(v.risk_level, RiskLevel.Medium)
        ? RiskLevel.Low
        : v.risk_level;
    return {
      has_security_incident: v.incident,
      incident_detected: v.incident,
      incident: v.incident,
      incident_type: v.incident ? v.incident_type : IncidentType.None,
      risk_level: risk,
      analysis: v.description,
      description: v.description,
      confidence: v.confidence,
      // The model counts the images it got; callers want indexes into the frames they gave.
      frame_indexes: v.frame_indexes.filter((i) => i < sent.length).map((i) => sent[i]!),
    };
  }

  /** The bytes the model gets for one frame: encoded once (here, or by prepareAiFrames on the agent). */
  private async aiImage(frame: Buffer, input: AnalyzeInput, masks: readonly Polygon[]): Promise<Buffer> {
    if (input.prepared && masks.length === 0) {
      const info = await this.options.image.probe(frame);
      if (info.format === 'jpeg' && Math.max(info.width, info.height) <= this.opts.maxSide) return frame;
    }
    return encodeAiFrame(this.options.image, frame, masks, this.opts);
  }

  /** One stage: the stage's model, then the fallback model when the first one is the problem. */
  private async stage(
    provider: AnalysisProvider,
    stage: AnalysisStage,
    input: AnalyzeInput,
    frames: Buffer[],
    indexes: number[],
    calls: AiCall[],
    prompt: (imageCount: number) => string,
  ): Promise<StageResult> {
    const primary = stage === AnalysisStage.Screen ? this.options.models.short : this.options.models.long;
    const models = [primary];
    if (this.options.fallbackModel && this.options.fallbackModel !== primary) models.push(this.options.fallbackModel);
    const masks = input.masks ?? [];
    const useVideo =
      stage === AnalysisStage.Confirm &&
      input.longVideo !== undefined &&
      masks.length === 0 &&
      input.longVideo.data.length <= this.opts.inlineVideoMaxBytes;
    // Downscaled and masked here, before anything leaves the process; prepared frames were, on the agent.
    const images = useVideo ? [] : await Promise.all(indexes.map((i) => this.aiImage(frames[i]!, input, masks)));
    const media: AnalysisMedia[] = images.map((data) => ({ mimeType: 'image/jpeg', data }));
    const imageBytes = images.reduce((n, img) => n + img.length, 0) + (useVideo ? input.longVideo!.data.length : 0);
    const thinking: ThinkingEffort = stage === AnalysisStage.Screen ? 'none' : (this.options.confirmThinking ?? 'low');

    let last: { error: AppError; model: string } | undefined;
    for (const model of models) {
      const blocked = await this.quota.blockedUntil(model).catch(() => undefined);
      if (blocked !== undefined) {
        last = {
          model,
          error: new AppError(ErrorCode.AiUnavailable, `the daily quota of ${model} is used up`, {
            details: { kind: AiFailureKind.QuotaExhausted, resetAt: blocked, model, retryable: false },
          }),
        };
        continue;
      }
      const started = this.now();
      try {
        const reply = await this.limit(() =>
          provider.analyze({
            model,
            prompt: prompt(useVideo ? 0 : media.length),
            images: media,
            video: useVideo ? input.longVideo : undefined,
            thinking,
            timeoutMs: this.options.timeoutMs,
            signal: input.signal,
          }),
        );
        const call: AiCall = {
          stage,
          model: reply.model,
          images: media.length,
          image_bytes: imageBytes,
          usage: reply.usage,
          duration_ms: reply.durationMs,
          provider: reply.provider,
          ...(reply.modelVersion ? { model_version: reply.modelVersion } : {}),
        };
        const cost = this.pricer.cost(reply.model, reply.usage);
        if (cost !== undefined) call.cost_usd = cost;
        calls.push(call);
        this.log.debug(
          {
            stage,
            model,
            modelVersion: reply.modelVersion,
            images: media.length,
            imageBytes,
            tokens: reply.usage.total_tokens,
            thinkingTokens: reply.usage.thinking_tokens,
            durationMs: reply.durationMs,
          },
          'ai call',
        );
        return { ok: true, outcome: { verdict: reply.verdict, call, sent: useVideo ? [] : indexes } };
      } catch (err) {
        const error =
          err instanceof AppError
            ? err
            : new AppError(ErrorCode.AiUnavailable, (err as Error).message ?? 'AI call failed', {
                cause: err,
                details: { kind: AiFailureKind.Unavailable },
              });
        const d = aiErrorDetails(error);
        // Billed even though it failed (cut off, blocked, bad JSON): counted like any call.
        if (d.usage && d.usage.total_tokens > 0) {
          const call: AiCall = {
            stage,
            model,
            images: media.length,
            image_bytes: imageBytes,
            usage: d.usage,
            duration_ms: this.now() - started,
            provider: provider.name,
            failed: true,
          };
          const cost = this.pricer.cost(model, d.usage);
          if (cost !== undefined) call.cost_usd = cost;
          calls.push(call);
        }
        if (d.kind === AiFailureKind.QuotaExhausted && d.resetAt) {
          const first = await this.quota.block(model, d.resetAt, error.message).catch(() => false);
          if (first) {
            // Once per model and quota window across every process: the operator needs to act (billing, tier).
            this.log.error(
              { model, quotaId: d.quotaId, resetAt: new Date(d.resetAt).toISOString() },
              'AI daily quota used up: no calls to this model until the quota resets; alerts use the fallback meanwhile',
            );
          }
        }
        if (error.code === ErrorCode.Timeout && input.signal?.aborted) throw error;
        last = { error, model };
        if (!FALLBACK_KINDS.has(d.kind as AiFailureKind)) break;
      }
    }
    return { ok: false, ...last! };
  }
}
