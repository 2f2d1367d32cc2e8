import type { AiVerdict, TokenUsage } from '@vigint/contracts';

export interface AnalysisMedia {
  mimeType: string;
  data: Buffer;
}

export interface AnalysisRequest {
  model: string;
  prompt: string;
  /** Frames in time order, already downscaled and masked by the caller. */
  images: AnalysisMedia[];
  /** A short clip sent inline (only when small). */
  video?: AnalysisMedia;
  /** Per-request timeout; the provider has its own default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AnalysisReply {
  verdict: AiVerdict;
  usage: TokenUsage;
  model: string;
  /** Wall time of the whole call, retries included. */
  durationMs: number;
  /** Requests made for this call (1 when the first one succeeded). */
  attempts: number;
}

/**
 * An AI model that looks at frames and answers with an AiVerdict. Gemini is one implementation; errors are
 * AppError AI_UNAVAILABLE (retryable; `details.retryAfterMs` on rate limits), AI_BAD_REPLY, AI_REFUSED.
 */
export interface AnalysisProvider {
  readonly name: string;
  analyze(request: AnalysisRequest): Promise<AnalysisReply>;
}
