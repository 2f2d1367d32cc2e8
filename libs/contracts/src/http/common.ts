import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ErrorBody } from '../errors';

/** `X | null`, optional: the earlier clients send `null` for "use the default". */
export const OptionalNullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** Base64 payload (JPEG frame or MP4 video); decoding is checked by the gateway, size by the body limit. */
export const Base64 = Type.String({
  minLength: 1,
  description: 'base64 (standard or URL-safe, data: URL prefix allowed)',
});

/**
 * A caller-supplied file name: a display name only, never a storage path. Path characters are refused
 * (the gateway answers 400 INVALID_FILENAME naming the field).
 */
export const DisplayFilename = Type.String({
  maxLength: 200,
  description: 'display name; no / \\ .. or control chars',
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
export type IdParams = Static<typeof IdParams>;

/** Vigint's per-day counters (usage, storage): one row per day and endpoint. */
export const DailyCounter = Type.Object({
  day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
  endpoint: Type.String(),
  requests: Type.Integer({ minimum: 0 }),
  bytes_in: Type.Integer({ minimum: 0 }),
  bytes_out: Type.Integer({ minimum: 0 }),
  ai_requests: Type.Integer({ minimum: 0 }),
  ai_tokens: Type.Integer({ minimum: 0 }),
  alerts: Type.Integer({ minimum: 0 }),
  cost: Type.Number({ minimum: 0 }),
});
export type DailyCounter = Static<typeof DailyCounter>;

/** The `Prefer: respond-async` answer of every job-backed route (202). */
export const JobAccepted = Type.Object({
  job_id: Type.String(),
  status_url: Type.String(),
  status: Type.Optional(Type.String()),
});
export type JobAccepted = Static<typeof JobAccepted>;

/**
 * Error replies of every route: each status the gateway's one error map (`ERROR_HTTP_STATUS`) can give,
 * all with the flat `ErrorBody`. Routes spread it into `response` instead of keeping their own lists.
 */
export const ErrorReplies = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  501: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
  507: ErrorBody,
} as const;
