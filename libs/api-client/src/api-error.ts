import { AppError, ErrorCode, type ErrorBody } from '@vigint/contracts';

/** How a call failed: the server answered with an error, could not be reached, or did not answer in time. */
export type ApiErrorKind = 'http' | 'network' | 'timeout';

export interface ApiErrorInit {
  kind: ApiErrorKind;
  /** HTTP status of the last reply; absent for network errors and timeouts. */
  status?: number;
  /** Attempts made, retries included. */
  attempts: number;
  method: string;
  path: string;
  cause?: unknown;
  field?: string;
  details?: unknown;
}

/** Best code for a reply whose body was not the gateway's flat error body (a proxy's HTML page, an empty 502). */
export function errorCodeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BadRequest;
    case 401:
      return ErrorCode.Unauthorized;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
      return ErrorCode.NotFound;
    case 409:
      return ErrorCode.Conflict;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 422:
      return ErrorCode.ValidationFailed;
    case 429:
      return ErrorCode.RateLimited;
    case 501:
      return ErrorCode.NotImplemented;
    case 502:
    case 503:
      return ErrorCode.DependencyUnavailable;
    case 504:
      return ErrorCode.Timeout;
    case 507:
      return ErrorCode.StorageFull;
    default:
      return status >= 500 ? ErrorCode.Internal : ErrorCode.BadRequest;
  }
}

/**
 * An AppError from a gateway call, rebuilt from the flat error body `{error, code, field?}`, carrying the real HTTP
 * status (AppError's own `httpStatus` is derived from the code, which a proxy in between may not match).
 */
export class ApiError extends AppError {
  readonly kind: ApiErrorKind;
  readonly status?: number;
  readonly attempts: number;
  readonly method: string;
  readonly path: string;

  constructor(code: ErrorCode, message: string, init: ApiErrorInit) {
    super(code, message, { cause: init.cause, field: init.field, details: init.details });
    this.name = 'AppError';
    this.kind = init.kind;
    this.status = init.status;
    this.attempts = init.attempts;
    this.method = init.method;
    this.path = init.path;
  }

  override get httpStatus(): number {
    return this.status ?? super.httpStatus;
  }

  /**
   * True when the server was unreachable or failing (network error, timeout, 429, 5xx): the same request may work
   * later. False for a 4xx the caller must fix.
   */
  get transient(): boolean {
    if (this.kind !== 'http' || this.status === undefined) return true;
    return this.status === 429 || this.status === 408 || this.status >= 500;
  }

  static fromReply(status: number, body: unknown, init: Omit<ApiErrorInit, 'kind' | 'status' | 'field'>): ApiError {
    const flat = isErrorBodyLike(body) ? body : undefined;
    const fromBody = flat ? AppError.fromBody(flat) : undefined;
    const code =
      fromBody && Object.values(ErrorCode).includes(flat?.code as ErrorCode)
        ? fromBody.code
        : errorCodeForStatus(status);
    const message =
      flat?.error ?? (typeof body === 'string' && body.length > 0 ? body.slice(0, 300) : `HTTP ${status}`);
    return new ApiError(code, message, { ...init, kind: 'http', status, field: flat?.field });
  }
}

function isErrorBodyLike(body: unknown): body is Pick<ErrorBody, 'field'> & { error?: string; code?: string } {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
