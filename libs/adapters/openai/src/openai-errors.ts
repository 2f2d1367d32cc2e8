import { AiFailureKind, AppError, ErrorCode, type AiErrorDetails } from '@vigint/contracts';

/**
 * The error bodies OpenAI-compatible servers answer with:
 * - OpenAI, Ollama, llama.cpp, LM Studio: `{error: {message, type, param, code}}`
 *   (platform.openai.com/docs/guides/error-codes; `code` is a string or null, llama.cpp puts the status there);
 * - vLLM: the same fields flat, `{object: 'error', message, type, param, code}`.
 */
export interface OpenAiErrorBody {
  message?: string;
  type?: string | null;
  param?: string | null;
  code?: string | number | null;
}

export function parseOpenAiError(body: unknown): OpenAiErrorBody | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { error?: unknown; object?: unknown; message?: unknown };
  if (b.error && typeof b.error === 'object') return b.error as OpenAiErrorBody;
  // Some servers answer `{error: "text"}` (Ollama's native routes, proxies).
  if (typeof b.error === 'string') return { message: b.error };
  if (b.object === 'error' || typeof b.message === 'string') return b as OpenAiErrorBody;
  return undefined;
}

/** "6m0s", "1.5s", "20ms", "17h36m7.2s" (x-ratelimit-reset-* headers, platform.openai.com/docs/guides/rate-limits) in ms. */
export function parseResetDuration(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0];
  }
  return matched.length > 0 && matched === value.trim() ? Math.round(total) : undefined;
}

export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * How long a 429 asks to wait: `retry-after-ms`, `retry-after` (seconds or an HTTP date), the
 * x-ratelimit-reset-* headers, else "Please try again in 9.816s" in OpenAI's message.
 */
export function retryAfterMs(headers: HeaderReader, message: string, now: number): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const ra = headers.get('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const reset = [headers.get('x-ratelimit-reset-requests'), headers.get('x-ratelimit-reset-tokens')]
    .map((h) => parseResetDuration(h))
    .filter((v): v is number => v !== undefined);
  if (reset.length > 0) return Math.max(...reset);
  const m = /try again in (\d+(?:\.\d+)?)(ms|s)\b/i.exec(message);
  if (m) return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000));
  return undefined;
}

/** The next midnight UTC after `now` (a per-day limit without a reset header). */
export function nextUtcMidnight(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** An account without credit is not a limit that resets: the model is left alone this long, then tried again. */
export const INSUFFICIENT_QUOTA_BLOCK_MS = 3_600_000;

/**
 * Maps an HTTP error of an OpenAI-compatible server onto the AiFailureKind taxonomy, keeping the server's
 * own message and code so the operator reads what the server said.
 */
export function classifyOpenAiError(
  status: number,
  body: OpenAiErrorBody | undefined,
  headers: HeaderReader,
  context: { model: string; now: number },
): AppError {
  const said = (body?.message ?? '').slice(0, 500);
  const code = typeof body?.code === 'string' && body.code ? body.code : undefined;
  const reason = code ?? (body?.type || `HTTP_${status}`);
  const suffix = said ? `: ${said}` : '';
  const base: AiErrorDetails = { status, reason, model: context.model, provider: 'openai' };

  if (status === 429) {
    if (code === 'insufficient_quota' || body?.type === 'insufficient_quota' || code === 'credit_balance_exhausted') {
      return new AppError(ErrorCode.AiUnavailable, `the AI account has no quota left for ${context.model}${suffix}`, {
        details: {
          ...base,
          kind: AiFailureKind.QuotaExhausted,
          quotaId: reason,
          retryable: false,
          resetAt: context.now + INSUFFICIENT_QUOTA_BLOCK_MS,
        } satisfies AiErrorDetails,
      });
    }
    const wait = retryAfterMs(headers, said, context.now);
    // "... on requests per day (RPD)" / "tokens per day (TPD)": waiting seconds cannot help.
    const daily = /per day|\b(RPD|TPD)\b/i.test(said);
    if (daily) {
      const resetAt =
        context.now + (wait !== undefined && wait > 60_000 ? wait : nextUtcMidnight(context.now) - context.now);
      return new AppError(ErrorCode.AiUnavailable, `the daily limit of ${context.model} is used up${suffix}`, {
        details: {
          ...base,
          kind: AiFailureKind.QuotaExhausted,
          quotaId: /\b(RPD|TPD)\b/.exec(said)?.[1] ?? 'per_day',
          retryable: false,
          resetAt,
        } satisfies AiErrorDetails,
      });
    }
    return new AppError(ErrorCode.AiUnavailable, `the AI rate limit was reached (${reason})${suffix}`, {
      details: {
        ...base,
        kind: AiFailureKind.RateLimited,
        retryable: true,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      } satisfies AiErrorDetails,
    });
  }
  // 408 and 409 (a lock on OpenAI's side) are what the official SDKs retry besides 429 and 5xx.
  if (status >= 500 || status === 408 || status === 409) {
    return new AppError(ErrorCode.AiUnavailable, `the AI service answered ${status} ${reason}${suffix}`, {
      details: { ...base, kind: AiFailureKind.Unavailable, retryable: true } satisfies AiErrorDetails,
    });
  }
  // 400 invalid_request_error, 401 invalid_api_key, 403, 404 model_not_found, 422: asking again cannot help.
  return new AppError(ErrorCode.AiRejected, `the AI service rejected the request (${status} ${reason})${suffix}`, {
    details: { ...base, kind: AiFailureKind.Rejected, retryable: false } satisfies AiErrorDetails,
  });
}
