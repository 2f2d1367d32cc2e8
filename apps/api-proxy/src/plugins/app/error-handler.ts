import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ErrorCode, ERROR_HTTP_STATUS, isAppError, type ErrorBody } from '@vigint/contracts';

/** Maps Fastify's own error codes (parser, limits, validation) to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.MalformedJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.MalformedJson,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PayloadTooLarge,
  FST_REQ_FILE_TOO_LARGE: ErrorCode.PayloadTooLarge,
  FST_PARTS_LIMIT: ErrorCode.PayloadTooLarge,
  FST_FILES_LIMIT: ErrorCode.PayloadTooLarge,
  FST_FIELDS_LIMIT: ErrorCode.PayloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.BadRequest,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.BadRequest,
  FST_INVALID_MULTIPART_CONTENT_TYPE: ErrorCode.BadRequest,
  FST_PROTO_VIOLATION: ErrorCode.BadRequest,
};

/** Turns any thrown value into our flat error body and its status. 5xx messages are never shown. */
export function toErrorReply(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (isAppError(err)) {
    const app = err as AppError;
    const status = ERROR_HTTP_STATUS[app.code] ?? 500;
    const body: ErrorBody = { error: app.message, code: app.code };
    if (app.field) body.field = app.field;
    if (status >= 500 && status !== 503 && status !== 501 && status !== 504 && status !== 507) {
      return { status, body: { error: 'internal error', code: app.code }, internal: true };
    }
    return { status, body, internal: false };
  }
  const fe = err as FastifyError & {
    validation?: { instancePath?: string; params?: Record<string, unknown>; message?: string }[];
  };
  if (fe && Array.isArray(fe.validation) && fe.validation.length > 0) {
    const v = fe.validation[0]!;
    const missing = typeof v.params?.missingProperty === 'string' ? v.params.missingProperty : undefined;
    const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const field = [path, missing].filter(Boolean).join('.') || undefined;
    const where = (fe as { validationContext?: string }).validationContext ?? 'body';
    const kw = (v as { keyword?: string }).keyword;
    const message = missing
      ? `${field} is required`
      : kw === 'const' || kw === 'enum' || kw === 'anyOf'
        ? `${field ?? where} has an unsupported value`
        : `${field ?? where} ${v.message ?? 'is invalid'}`;
    return {
      status: 400,
      body: field
        ? { error: message, code: ErrorCode.ValidationFailed, field }
        : { error: message, code: ErrorCode.ValidationFailed },
      internal: false,
    };
  }
  const mapped = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    const msg =
      mapped === ErrorCode.MalformedJson
        ? 'malformed JSON body'
        : mapped === ErrorCode.PayloadTooLarge
          ? 'request body is too large'
          : (fe.message ?? 'bad request');
    return { status: ERROR_HTTP_STATUS[mapped], body: { error: msg, code: mapped }, internal: false };
  }
  const sc = (fe as { statusCode?: number })?.statusCode;
  if (typeof sc === 'number' && sc >= 400 && sc < 500) {
    const code =
      sc === 413
        ? ErrorCode.PayloadTooLarge
        : sc === 404
          ? ErrorCode.NotFound
          : sc === 429
            ? ErrorCode.RateLimited
            : ErrorCode.BadRequest;
    return { status: sc, body: { error: fe.message || 'bad request', code }, internal: false };
  }
  return { status: 500, body: { error: 'internal error', code: ErrorCode.Internal }, internal: true };
}

/** The one error shape of every route: `{error, code, field?}`, status from ERROR_HTTP_STATUS. */
async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const { status, body, internal } = toErrorReply(err);
    if (internal) req.log.error({ err }, 'request failed');
    else if (status >= 500) req.log.warn({ code: body.code }, body.error);
    else req.log.info({ code: body.code, field: body.field, status }, 'request refused');
    if (status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5');
    const retry = isAppError(err)
      ? (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
      : undefined;
    if (status === 429 && retry && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(retry));
    // The rest of a too-large body is not read: close the connection so the caller stops sending it.
    if (status === 413) void reply.header('connection', 'close');
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `route ${req.method} ${req.url.split('?')[0]} not found`, code: ErrorCode.NotFound }),
  );
}

export default fp(errorHandler, { name: 'error-handler' });
