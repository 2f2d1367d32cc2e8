import { Type, type Static } from '@sinclair/typebox';

/** Stable error codes: clients branch on these, never on the message. */
export enum ErrorCode {
  BadRequest = 'BAD_REQUEST',
  ValidationFailed = 'VALIDATION_FAILED',
  MalformedJson = 'MALFORMED_JSON',
  InvalidBase64 = 'INVALID_BASE64',
  InvalidImage = 'INVALID_IMAGE',
  InvalidVideo = 'INVALID_VIDEO',
  InvalidFilename = 'INVALID_FILENAME',
  UnsupportedFormat = 'UNSUPPORTED_FORMAT',
  NothingBuffered = 'NOTHING_BUFFERED',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  Unauthorized = 'UNAUTHORIZED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  RateLimited = 'RATE_LIMITED',
  NotImplemented = 'NOT_IMPLEMENTED',
  DependencyUnavailable = 'DEPENDENCY_UNAVAILABLE',
  AiUnavailable = 'AI_UNAVAILABLE',
  AiBadReply = 'AI_BAD_REPLY',
  AiRefused = 'AI_REFUSED',
  /** The AI service rejected the request itself (400/401/403/404: bad key, unknown model, bad schema). */
  AiRejected = 'AI_REJECTED',
  MediaProcessingFailed = 'MEDIA_PROCESSING_FAILED',
  MailDeliveryFailed = 'MAIL_DELIVERY_FAILED',
  StorageFull = 'STORAGE_FULL',
  Timeout = 'TIMEOUT',
  JobFailed = 'JOB_FAILED',
  Internal = 'INTERNAL',
}

/** HTTP status for each code: the gateway's one mapping table. */
export const ERROR_HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.MalformedJson]: 400,
  [ErrorCode.InvalidBase64]: 400,
  [ErrorCode.InvalidImage]: 422,
  [ErrorCode.InvalidVideo]: 422,
  [ErrorCode.InvalidFilename]: 400,
  [ErrorCode.UnsupportedFormat]: 400,
  [ErrorCode.NothingBuffered]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.NotImplemented]: 501,
  [ErrorCode.DependencyUnavailable]: 503,
  [ErrorCode.AiUnavailable]: 503,
  [ErrorCode.AiBadReply]: 502,
  [ErrorCode.AiRefused]: 422,
  [ErrorCode.AiRejected]: 502,
  [ErrorCode.MediaProcessingFailed]: 500,
  [ErrorCode.MailDeliveryFailed]: 502,
  [ErrorCode.StorageFull]: 507,
  [ErrorCode.Timeout]: 504,
  [ErrorCode.JobFailed]: 500,
  [ErrorCode.Internal]: 500,
};

/** Codes that retrying cannot fix: the worker turns them into UnrecoverableError. */
export const PERMANENT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.BadRequest,
  ErrorCode.ValidationFailed,
  ErrorCode.MalformedJson,
  ErrorCode.InvalidBase64,
  ErrorCode.InvalidImage,
  ErrorCode.InvalidVideo,
  ErrorCode.InvalidFilename,
  ErrorCode.UnsupportedFormat,
  ErrorCode.NothingBuffered,
  ErrorCode.NotFound,
  ErrorCode.AiRefused,
  ErrorCode.AiRejected,
  ErrorCode.Forbidden,
  ErrorCode.Unauthorized,
]);

/** The one error body of every route: flat, as the earlier clients print `error` as a string. */
export const ErrorBody = Type.Object(
  {
    error: Type.String(),
    code: Type.Enum(ErrorCode),
    field: Type.Optional(Type.String()),
    success: Type.Optional(Type.Boolean()),
    details: Type.Optional(Type.Unknown()),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export interface AppErrorOptions {
  field?: string;
  cause?: unknown;
  details?: unknown;
}

/** Services throw this, never HTTP errors; the gateway and worker map it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get permanent(): boolean {
    return PERMANENT_ERROR_CODES.has(this.code);
  }

  get httpStatus(): number {
    return ERROR_HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { error: this.message, code: this.code };
    if (this.field) body.field = this.field;
    return body;
  }

  /** Rebuilds an AppError from the plain JSON a job result or HTTP body carried across processes. */
  static fromBody(body: { error?: string; code?: string; field?: string }): AppError {
    const code = Object.values(ErrorCode).includes(body.code as ErrorCode)
      ? (body.code as ErrorCode)
      : ErrorCode.Internal;
    return new AppError(code, body.error ?? 'unknown error', { field: body.field });
  }
}

export function isAppError(err: unknown): err is AppError {
  return (
    err instanceof AppError ||
    (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AppError')
  );
}
