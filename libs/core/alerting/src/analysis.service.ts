import {
  AlertLanguage,
  AnalysisStage,
  AppError,
  BufferType,
  ErrorCode,
  IncidentType,
  RiskLevel,
  riskAtLeast,
  type AiCall,
  type AiVerdict,
  type AnalysisResult,
  type Polygon,
  type TokenUsage,
} from '@vigint/contracts';
import {
  buildConfirmPrompt,
  buildScreenPrompt,
  DEFAULT_GEMINI_MODEL_LONG,
  DEFAULT_GEMINI_MODEL_SHORT,
  type AnalysisMedia,
  type AnalysisProvider,
} from '@vigint/gemini';
import type { ImageAdapter } from '@vigint/image';
import { silentLogger, type Logger } from '@vigint/logger';
import { createConcurrencyLimit, type ConcurrencyLimit } from './concurrency-limit';
import { OfflineAnalyzer } from './offline-analyzer';

export const DEFAULT_MODELS = { short: DEFAULT_GEMINI_MODEL_SHORT, long: DEFAULT_GEMINI_MODEL_LONG } as const;

export interface AnalysisServiceOptions {
  /** Absent → the offline motion-only analyzer (local mode without GOOGLE_API_KEY). */
  provider?: AnalysisProvider;
  image: ImageAdapter;
  /** GEMINI_MODEL_SHORT / GEMINI_MODEL_LONG. */
  models: { short: string; long: string };
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
}

export interface AnalyzeInput {
  /** The short buffer (~3 s), oldest first. With bufferType long, the long buffer itself. */
  frames: Buffer[];
  /** The long buffer (~10 s) for the confirming stage; defaults to `frames`. */
  longFrames?: Buffer[];
  /** The long buffer as a small clip (used only under inlineVideoMaxBytes and without masks). */
  longVideo?: AnalysisMedia;
  bufferType?: BufferType | 'short' | 'long';
  language: AlertLanguage;
  masks?: readonly Polygon[];
  cameraName?: string;
  /** Seconds the short and long buffers span, for the prompt. */
  shortSpanSeconds?: number;
  longSpanSeconds?: number;
  signal?: AbortSignal;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** `count` indexes spread evenly over 0..length-1, first and last included. */
export function spreadIndexes(length: number, count: number): number[] {
  if (length <= 0 || count <= 0) return [];
  if (count >= length) return Array.from({ length }, (_, i) => i);
  if (count === 1) return [length - 1];
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (length - 1)) / (count - 1)));
  return [...out];
}

interface StageOutcome {
  verdict: AiVerdict;
  call: AiCall;
  /** Index in the caller's array of each image sent. */
  sent: number[];
}

/**
 * Two-stage analysis (docs/compatibility.md, `buffer_type`): the short model screens the last frames; only on an
 * incident, the long model looks at frames spread across the long buffer and has the final word.
 */
export class AnalysisService {
  private readonly log: Logger;
  private readonly limit: ConcurrencyLimit;
  private readonly offline: OfflineAnalyzer;
  private readonly opts: Required<
    Pick<AnalysisServiceOptions, 'screenFrames' | 'confirmFrames' | 'maxSide' | 'jpegQuality' | 'inlineVideoMaxBytes'>
  >;

  constructor(private readonly options: AnalysisServiceOptions) {
    this.log = (options.log ?? silentLogger).child({ module: 'analysis' });
    this.limit = createConcurrencyLimit(options.concurrency ?? 4);
    this.offline = new OfflineAnalyzer(options.image);
    this.opts = {
      screenFrames: options.screenFrames ?? 3,
      confirmFrames: options.confirmFrames ?? 6,
      maxSide: options.maxSide ?? 768,
      jpegQuality: options.jpegQuality ?? 80,
      inlineVideoMaxBytes: options.inlineVideoMaxBytes ?? 0,
    };
  }

  get isOffline(): boolean {
    return this.options.provider === undefined;
  }

  async analyze(input: AnalyzeInput): Promise<AnalysisResult> {
    if (input.frames.length === 0)
      throw new AppError(ErrorCode.NothingBuffered, 'no frames to analyze', { field: 'frames' });
    const provider = this.options.provider;
    if (!provider) return this.offline.analyze({ frames: input.frames, language: input.language, masks: input.masks });

    const long = input.bufferType === BufferType.Long ? input.frames : (input.longFrames ?? input.frames);
    const calls: AiCall[] = [];
    const screenIdx = input.frames.map((_, i) => i).slice(-this.opts.screenFrames);
    const screen = await this.stage(provider, AnalysisStage.Screen, input, input.frames, screenIdx, calls, (n) =>
      buildScreenPrompt({
        language: input.language,
        frameCount: n,
        cameraName: input.cameraName,
        spanSeconds: input.shortSpanSeconds,
      }),
    );
    const base = {
      frame_count: input.frames.length,
      offline: false,
      ai_calls: calls,
    };
    if (!screen.verdict.incident) {
      this.log.debug({ camera: input.cameraName, model: screen.call.model }, 'screening: no incident');
      return {
        ...base,
        ...this.fields(screen.verdict, screen.sent),
        model: screen.call.model,
        token_usage: screen.call.usage,
      };
    }

    const confirmIdx = spreadIndexes(long.length, this.opts.confirmFrames);
    const confirm = await this.stage(provider, AnalysisStage.Confirm, input, long, confirmIdx, calls, (n) =>
      buildConfirmPrompt({
        language: input.language,
        frameCount: n,
        cameraName: input.cameraName,
        spanSeconds: input.longSpanSeconds,
        screening: screen.verdict,
      }),
    );
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
      token_usage: addUsage(screen.call.usage, confirm.call.usage),
      detailed_analysis: confirm.verdict.description,
      flash_confirmation: confirmed,
      flash_veto: !confirmed,
      // The veto is the final word: nothing about this scene may trigger an alert.
      ...(confirmed ? {} : { veto_reason: confirm.verdict.description, risk_level: RiskLevel.None }),
    };
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

  private async stage(
    provider: AnalysisProvider,
    stage: AnalysisStage,
    input: AnalyzeInput,
    frames: Buffer[],
    indexes: number[],
    calls: AiCall[],
    prompt: (imageCount: number) => string,
  ): Promise<StageOutcome> {
    const model = stage === AnalysisStage.Screen ? this.options.models.short : this.options.models.long;
    const masks = input.masks ?? [];
    const useVideo =
      stage === AnalysisStage.Confirm &&
      input.longVideo !== undefined &&
      masks.length === 0 &&
      input.longVideo.data.length <= this.opts.inlineVideoMaxBytes;
    // Downscaled and masked here, before anything leaves the process.
    const images = useVideo
      ? []
      : await Promise.all(
          indexes.map((i) =>
            this.options.image.toAiJpeg(frames[i]!, {
              maxSide: this.opts.maxSide,
              quality: this.opts.jpegQuality,
              masks,
            }),
          ),
        );
    const media: AnalysisMedia[] = images.map((img) => ({ mimeType: 'image/jpeg', data: img.data }));
    const imageBytes =
      images.reduce((n, img) => n + img.data.length, 0) + (useVideo ? input.longVideo!.data.length : 0);
    try {
      const reply = await this.limit(() =>
        provider.analyze({
          model,
          prompt: prompt(useVideo ? 0 : media.length),
          images: media,
          video: useVideo ? input.longVideo : undefined,
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
      };
      calls.push(call);
      this.log.debug(
        {
          stage,
          model,
          images: media.length,
          imageBytes,
          tokens: reply.usage.total_tokens,
          durationMs: reply.durationMs,
        },
        'ai call',
      );
      return { verdict: reply.verdict, call, sent: useVideo ? [] : indexes };
    } catch (err) {
      // Calls already made were billed: keep them on the error so usage counters stay right.
      if (err instanceof AppError) {
        const details = { ...((err.details as object | undefined) ?? {}), stage, ai_calls: [...calls] };
        throw new AppError(err.code, err.message, { field: err.field, details, cause: err.cause ?? err });
      }
      throw err;
    }
  }
}
