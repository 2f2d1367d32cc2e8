import { Type, type Static } from '@sinclair/typebox';
import { AlertLanguageSchema, RiskLevelSchema } from './risk';

/*
 * A client's instant-notice channels and console settings (stored per client, edited in the console),
 * and the job payloads of the first notice and the daily digest. Secrets (webhook secret, tokens) are
 * stored with the client's settings and never travel in job data: jobs carry ids only.
 */

const HttpUrl = Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 });

export const WebhookSettings = Type.Object({
  url: HttpUrl,
  /** HMAC-SHA256 key of the X-Vigint-Signature header. */
  secret: Type.String({ minLength: 16, maxLength: 200 }),
});
export const NtfySettings = Type.Object({
  server: HttpUrl,
  topic: Type.String({ pattern: '^[-_A-Za-z0-9]{1,64}$' }),
  token: Type.Optional(Type.String({ maxLength: 200 })),
});
export const TelegramSettings = Type.Object({
  botToken: Type.String({ pattern: '^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$' }),
  chatId: Type.String({ pattern: '^-?[0-9]{1,20}$|^@[A-Za-z0-9_]{5,64}$' }),
});

export const NoticeChannels = Type.Object({
  webhook: Type.Optional(WebhookSettings),
  ntfy: Type.Optional(NtfySettings),
  telegram: Type.Optional(TelegramSettings),
});
export type NoticeChannels = Static<typeof NoticeChannels>;

export const ClientConsoleSettings = Type.Object({
  /** IANA zone of the console's times, the e-mails and the digest hour. */
  timeZone: Type.String({ minLength: 1, maxLength: 64, default: 'UTC' }),
  channels: NoticeChannels,
  digestEnabled: Type.Boolean({ default: false }),
  /** Local hour (0-23) at which the daily digest goes out. */
  digestHour: Type.Integer({ minimum: 0, maximum: 23, default: 8 }),
});
export type ClientConsoleSettings = Static<typeof ClientConsoleSettings>;

export const CameraControlSettings = Type.Object({
  snoozedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  /** Lowest risk that alerts for this camera; null: the camera's default. */
  alertThreshold: Type.Union([RiskLevelSchema, Type.Null()]),
});
export type CameraControlSettings = Static<typeof CameraControlSettings>;

const Id = Type.String({ minLength: 1, maxLength: 200 });

export const NoticeSendPayload = Type.Object({
  clientId: Id,
  /** The incident on record (its snapshot, summary and camera come from the store). */
  incidentId: Id,
  /** The camera's language when the agent set one; else the client's. */
  language: Type.Optional(AlertLanguageSchema),
  /** Transient snapshot the gateway put in Redis, when the agent sent one. */
  snapshotBlobKey: Type.Optional(Id),
});
export type NoticeSendPayload = Static<typeof NoticeSendPayload>;

export const NoticeSendResult = Type.Object({
  skipped: Type.Optional(Type.String()),
  outcomes: Type.Array(
    Type.Object({ channel: Type.String(), status: Type.String(), attempts: Type.Integer({ minimum: 0 }) }),
  ),
});
export type NoticeSendResult = Static<typeof NoticeSendResult>;

export const DigestSendPayload = Type.Object({
  clientId: Id,
  /** The local day summarised, YYYY-MM-DD. */
  day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
});
export type DigestSendPayload = Static<typeof DigestSendPayload>;

/** The repeatable digest run: every client whose local digest hour has come gets that day's digest, once. */
export const DigestRunPayload = Type.Object({});
export type DigestRunPayload = Static<typeof DigestRunPayload>;

export const DigestRunResult = Type.Object({
  due: Type.Integer({ minimum: 0 }),
  sent: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
});
export type DigestRunResult = Static<typeof DigestRunResult>;
