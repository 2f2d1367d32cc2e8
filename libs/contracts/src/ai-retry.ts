import { setTimeout as sleep } from 'node:timers/promises';
import type { AiVerdict, TokenUsage } from './analysis';
import {
  AiFailureKind,
  ZERO_USAGE,
  addTokenUsage,
  aiErrorDetails,
  type AiErrorDetails,
  type AnalysisReply,
  type AnalysisRequest,
  type ThinkingEffort,
} from './ai-provider';
import { AppError, ErrorCode } from './errors';

/** How a provider adapter retries one analysis. */
export interface AiRetryPolicy {
  maxAttempts: number;
  /** No retry whose wait would end past this long after the first attempt. */
  maxTotalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  random(): number;
  now(): number;
}

/** What one request to the model gave. */
export interface AiAttempt {
  verdict: AiVerdict;
  usage: TokenUsage;
  modelVersion?: string;
}

export interface AiRetryHooks {
  /** The adapter's name, for the reply and the log lines. */
  provider: string;
  once(thinking: ThinkingEffort, maxOutputTokens: number): Promise<AiAttempt>;
  /** The adapter's error taxonomy: any failure of `once` as an AppError with AiErrorDetails. */
  toAppError(err: unknown): AppError;
  maxOutputTokensFor(thinking: ThinkingEffort): number;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** An AppError with more details merged in (AppError is immutable). */
export function withAiDetails(error: AppError, extra: AiErrorDetails): AppError {
  const details = { ...aiErrorDetails(error), ...extra };
  return new AppError(error.code, error.message, { field: error.field, details, cause: error.cause ?? error });
}

/**
 * One analysis with the retries every provider shares: a reply cut off by the output limit (usually by
 * thinking) is asked once more with twice the room and the least thinking; a retryable failure waits what the
 * service asked (plus jitter, so parallel callers spread out) or an equal-jitter backoff, within
 * `maxAttempts` and `maxTotalMs`. Tokens billed for failed replies are added up in the reply or the error.
 */
export async function analyzeWithRetries(
  request: AnalysisRequest,
  policy: AiRetryPolicy,
  hooks: AiRetryHooks,
): Promise<AnalysisReply> {
  const started = policy.now();
  let billed: TokenUsage = { ...ZERO_USAGE, thinking_tokens: 0 };
  let thinking: ThinkingEffort = request.thinking ?? 'none';
  let maxOutputTokens = hooks.maxOutputTokensFor(thinking);
  let roomRetried = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const reply = await hooks.once(thinking, maxOutputTokens);
      return {
        verdict: reply.verdict,
        usage: addTokenUsage(billed, reply.usage),
        model: request.model,
        modelVersion: reply.modelVersion,
        provider: hooks.provider,
        durationMs: policy.now() - started,
        attempts: attempt,
      };
    } catch (err) {
      const error = hooks.toAppError(err);
      const details = aiErrorDetails(error);
      if (details.usage) billed = addTokenUsage(billed, details.usage);
      const final = withAiDetails(error, { usage: billed, attempts: attempt, model: request.model });
      if (details.kind === AiFailureKind.MaxTokens && !roomRetried) {
        roomRetried = true;
        thinking = 'none';
        maxOutputTokens *= 2;
        hooks.warn(
          { model: request.model, attempt, maxOutputTokens },
          `${hooks.provider} reply cut off, retrying with room`,
        );
        continue;
      }
      if (details.retryable !== true || attempt >= policy.maxAttempts) throw final;
      const wait =
        details.retryAfterMs !== undefined
          ? details.retryAfterMs + Math.floor(policy.random() * 250)
          : equalJitterBackoff(policy, attempt);
      if (policy.now() - started + wait > policy.maxTotalMs) throw final;
      hooks.warn(
        { model: request.model, attempt, waitMs: wait, kind: details.kind, status: details.status },
        `${hooks.provider} request failed, retrying`,
      );
      try {
        await sleep(wait, undefined, { signal: request.signal });
      } catch {
        throw new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err, details: { usage: billed } });
      }
    }
  }
}

/** At least half the step, so retries never bunch up near zero. */
function equalJitterBackoff(policy: AiRetryPolicy, attempt: number): number {
  const cap = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + policy.random() * (cap / 2));
}

/**
 * A failure that is not the service's answer, as the taxonomy names it: the caller's abort, a timed-out
 * request (retryable), or no connection at all (fetch's TypeError on refused / reset / DNS; retryable).
 */
export function aiTransportError(err: unknown, model: string, signal: AbortSignal | undefined): AppError {
  if (err instanceof AppError) return err;
  if (signal?.aborted) return new AppError(ErrorCode.Timeout, 'analysis aborted', { cause: err });
  const name = (err as { name?: string } | undefined)?.name;
  const timedOut = name === 'AbortError' || name === 'TimeoutError';
  const details: AiErrorDetails = {
    kind: AiFailureKind.Unavailable,
    reason: timedOut ? 'timeout' : 'network',
    retryable: true,
    model,
  };
  const message = timedOut ? 'the AI request timed out' : 'the AI service is unreachable';
  return new AppError(ErrorCode.AiUnavailable, message, { cause: err, details });
}
