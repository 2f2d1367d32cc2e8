import { AiFailureKind, AppError, ErrorCode, type AiErrorDetails } from '@vigint/contracts';

/** The JSON error body of the Gemini REST API: `{error: {code, message, status, details}}` (google.rpc.Status). */
export interface GoogleRpcStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: Record<string, unknown>[];
}

/** Parses a google.protobuf.Duration in JSON form ("2s", "1.500s") into ms. */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

function detailOf(details: unknown, type: string): Record<string, unknown> | undefined {
  if (!Array.isArray(details)) return undefined;
  return (details as Record<string, unknown>[]).find(
    (d) => typeof d?.['@type'] === 'string' && (d['@type'] as string).endsWith(`google.rpc.${type}`),
  );
}

/** retryDelay from a google.rpc.RetryInfo entry of an error's details, in ms. */
export function retryDelayFromDetails(details: unknown): number | undefined {
  return parseRetryDelay(detailOf(details, 'RetryInfo')?.retryDelay);
}

/** The quota ids of a google.rpc.QuotaFailure entry. */
export function quotaIdsFromDetails(details: unknown): string[] {
  const violations = detailOf(details, 'QuotaFailure')?.violations;
  if (!Array.isArray(violations)) return [];
  return violations.map((v) => (v as { quotaId?: unknown }).quotaId).filter((q): q is string => typeof q === 'string');
}

/**
 * Per-day quotas reset at midnight Pacific time (ai.google.dev/gemini-api/docs/rate-limits). The next
 * midnight in America/Los_Angeles after `now`, as epoch ms.
 */
export function nextPacificMidnight(now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(now));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const elapsed = ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + (now % 1000);
  // Across a DST change the day is 23 or 25 h long; an hour early or late is acceptable for a quota gate.
  return now - elapsed + 24 * 3600 * 1000;
}

/** Parses the body the SDK put in ApiError.message (JSON.stringify of the reply body). */
export function parseErrorBody(message: string): GoogleRpcStatus | undefined {
  try {
    const body = JSON.parse(message) as { error?: GoogleRpcStatus } | GoogleRpcStatus[];
    // Some proxies answer with a one-element array of the same body.
    const first = Array.isArray(body) ? (body[0] as { error?: GoogleRpcStatus }) : body;
    return first?.error && typeof first.error === 'object' ? first.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps an HTTP error of the Gemini API onto the AiFailureKind taxonomy, keeping Google's own status,
 * reason and message so the operator reads what Google said.
 */
export function classifyHttpError(
  status: number,
  body: GoogleRpcStatus | undefined,
  context: { model: string; now: number },
): AppError {
  const rpcStatus = body?.status ?? `HTTP_${status}`;
  const googleMessage = (body?.message ?? '').slice(0, 500);
  const errorInfo = detailOf(body?.details, 'ErrorInfo');
  const reason = typeof errorInfo?.reason === 'string' ? errorInfo.reason : rpcStatus;
  const said = googleMessage ? `: ${googleMessage}` : '';
  const base: AiErrorDetails = { status, reason, model: context.model, provider: 'gemini' };

  if (status === 429) {
    const quotaIds = quotaIdsFromDetails(body?.details);
    const retryAfterMs = retryDelayFromDetails(body?.details);
    const daily = quotaIds.find((q) => /PerDay/i.test(q));
    if (daily) {
      return new AppError(ErrorCode.AiUnavailable, `the daily quota of ${context.model} is used up (${daily})${said}`, {
        details: {
          ...base,
          kind: AiFailureKind.QuotaExhausted,
          quotaId: daily,
          retryable: false,
          resetAt: nextPacificMidnight(context.now),
        } satisfies AiErrorDetails,
      });
    }
    return new AppError(ErrorCode.AiUnavailable, `the AI rate limit was reached (${quotaIds[0] ?? rpcStatus})`, {
      details: {
        ...base,
        kind: AiFailureKind.RateLimited,
        retryable: true,
        ...(quotaIds[0] ? { quotaId: quotaIds[0] } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      } satisfies AiErrorDetails,
    });
  }
  if (status >= 500 || status === 408 || status === 499) {
    return new AppError(ErrorCode.AiUnavailable, `the AI service answered ${status} ${rpcStatus}${said}`, {
      details: { ...base, kind: AiFailureKind.Unavailable, retryable: true } satisfies AiErrorDetails,
    });
  }
  // 400 INVALID_ARGUMENT / FAILED_PRECONDITION, 401, 403 PERMISSION_DENIED, 404 NOT_FOUND: permanent.
  return new AppError(ErrorCode.AiRejected, `the AI service rejected the request (${status} ${reason})${said}`, {
    details: { ...base, kind: AiFailureKind.Rejected, retryable: false } satisfies AiErrorDetails,
  });
}
