import { Value } from '@sinclair/typebox/value';
import { AiVerdict, type TokenUsage } from './analysis';
import { AppError, ErrorCode } from './errors';
import { parseRiskLevel } from './risk';

/*
 * What crosses between the analysis service (libs/core/alerting, which owns the AnalysisProvider interface)
 * and the provider adapters (libs/adapters/gemini, libs/adapters/openai). The adapters never import core, so
 * the request and reply shapes live here and each adapter satisfies the interface structurally.
 */

export interface AnalysisMedia {
  mimeType: string;
  data: Buffer;
}

/**
 * How much the model may think. `none`: as little as the model allows (screening); `low`: a small budget
 * (confirming). Each adapter maps it onto its API (Gemini thinkingBudget / thinkingLevel per model family).
 */
export type ThinkingEffort = 'none' | 'low';

export interface AnalysisRequest {
  model: string;
  prompt: string;
  /** Frames in time order, already downscaled and masked by the caller. */
  images: AnalysisMedia[];
  /** A short clip sent inline (only when small). */
  video?: AnalysisMedia;
  thinking?: ThinkingEffort;
  /** Per-request timeout; the provider has its own default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AnalysisReply {
  verdict: AiVerdict;
  /** Tokens of every request made for this call, failed ones included (they were billed). */
  usage: TokenUsage;
  /** The model asked for (the price table's key). */
  model: string;
  /** The model version that answered, as the service reports it. */
  modelVersion?: string;
  provider: string;
  /** Wall time of the whole call, retries included. */
  durationMs: number;
  /** Requests made for this call (1 when the first one succeeded). */
  attempts: number;
}

/**
 * The failure classes of an AI call, in `AppError.details.kind`. The analysis service decides on these,
 * never on HTTP statuses, so every provider maps its own errors onto them.
 */
export enum AiFailureKind {
  /** Per-minute limit: retried after the service's retry delay. */
  RateLimited = 'rate_limited',
  /** Per-day quota used up: no call to that model until `details.resetAt`. */
  QuotaExhausted = 'quota_exhausted',
  /** 400/401/403/404: the request, key or model is wrong; asking again cannot help. */
  Rejected = 'rejected',
  /** 5xx, overloaded, timeout, network: retried with backoff, then the fallback model. */
  Unavailable = 'unavailable',
  /** The prompt or the answer was blocked by a safety filter. */
  SafetyBlocked = 'safety_blocked',
  /** The answer was cut off at maxOutputTokens. */
  MaxTokens = 'max_tokens',
  /** The answer is not the verdict JSON. */
  BadReply = 'bad_reply',
}

/** What an AI AppError carries in `details` (every field optional: older errors carry less). */
export interface AiErrorDetails {
  kind?: AiFailureKind;
  /** HTTP status of the service's reply. */
  status?: number;
  /** The service's own status and reason (e.g. `INVALID_ARGUMENT`, `API_KEY_INVALID`, `SAFETY`). */
  reason?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  /** Epoch ms when a daily quota resets. */
  resetAt?: number;
  /** The quota id the service named (`GenerateRequestsPerDayPerProjectPerModel`...). */
  quotaId?: string;
  model?: string;
  provider?: string;
  /** Tokens billed for the failed requests of this call. */
  usage?: TokenUsage;
  attempts?: number;
}

export function aiErrorDetails(err: unknown): AiErrorDetails {
  if (!(err instanceof AppError) || !err.details || typeof err.details !== 'object') return {};
  return err.details as AiErrorDetails;
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
      details: { kind: AiFailureKind.BadReply, reason: 'malformed', length: text.length },
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
      { field, details: { kind: AiFailureKind.BadReply, reason: 'off_schema' } },
    );
  }
  return value;
}

export function addTokenUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const thinking = (a.thinking_tokens ?? 0) + (b.thinking_tokens ?? 0);
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    ...(a.thinking_tokens !== undefined || b.thinking_tokens !== undefined ? { thinking_tokens: thinking } : {}),
  };
}

export const ZERO_USAGE: TokenUsage = Object.freeze({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
