import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AnalysisResult } from './analysis';
import { DigestRunPayload, DigestRunResult, NoticeSendPayload, NoticeSendResult } from './notice';
import { AlertLanguageSchema, IncidentTypeSchema, RiskLevelSchema, VideoFormatSchema } from './risk';

export enum QueueName {
  Analysis = 'analysis',
  Media = 'media',
  Alert = 'alert',
  /** First notices only: a push never waits behind the clip e-mails of the `alert` queue (issue 16). */
  Notice = 'notice',
  Maintenance = 'maintenance',
}

/** Subject+Verb job names. */
export enum JobName {
  FrameAnalyze = 'FrameAnalyze',
  VideoCreate = 'VideoCreate',
  VideoCompress = 'VideoCompress',
  AlertSend = 'AlertSend',
  /** The first notice of an incident (push channels), queued when the agent announces it. */
  NoticeSend = 'NoticeSend',
  StorageCleanup = 'StorageCleanup',
  ClientErase = 'ClientErase',
  /** The daily digest e-mails (repeatable, every few minutes: each client at its own local hour). */
  DigestRun = 'DigestRun',
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.FrameAnalyze]: QueueName.Analysis,
  [JobName.VideoCreate]: QueueName.Media,
  [JobName.VideoCompress]: QueueName.Media,
  [JobName.AlertSend]: QueueName.Alert,
  [JobName.NoticeSend]: QueueName.Notice,
  [JobName.StorageCleanup]: QueueName.Maintenance,
  [JobName.ClientErase]: QueueName.Maintenance,
  [JobName.DigestRun]: QueueName.Maintenance,
};

/*
 * Job data carries ids and storage keys, never bytes or secrets:
 * - `frameBlobKeys`: transient frames the gateway put in Redis with a TTL (minutes);
 * - `videoArtifactId`: a video in the artifact store (disk, PostgreSQL or S3), with its own expiry.
 */
const Id = Type.String({ minLength: 1, maxLength: 200 });

export const FrameAnalyzePayload = Type.Object({
  clientId: Id,
  apiKeyId: Type.Union([Id, Type.Null()]),
  bufferType: Type.Union([Type.Literal('short'), Type.Literal('long')]),
  frameBlobKeys: Type.Array(Id, { maxItems: 64 }),
  /** Prepared frames (the agent chose and encoded them): frameBlobKeys screen, these confirm, sent as they are. */
  confirmBlobKeys: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 64 })),
  /** The agent's short-buffer size, with prepared frames (the result's frame_count). */
  frameCount: Type.Optional(Type.Integer({ minimum: 0 })),
  videoArtifactId: Type.Optional(Id),
  language: AlertLanguageSchema,
  sourceId: Type.Optional(Id),
  cameraName: Type.Optional(Type.String({ maxLength: 200 })),
});
export type FrameAnalyzePayload = Static<typeof FrameAnalyzePayload>;
export const FrameAnalyzeResult = AnalysisResult;
export type FrameAnalyzeResult = AnalysisResult;

export const VideoCreatePayload = Type.Object({
  clientId: Id,
  apiKeyId: Type.Union([Id, Type.Null()]),
  frameBlobKeys: Type.Array(Id, { minItems: 1, maxItems: 3000 }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 120 }),
  format: VideoFormatSchema,
  /** Display name for downloads, already sanitised; never a path. */
  outputName: Type.String({ maxLength: 200 }),
});
export type VideoCreatePayload = Static<typeof VideoCreatePayload>;

export const VideoResult = Type.Object({
  artifactId: Id,
  sizeBytes: Type.Integer({ minimum: 0 }),
  durationSeconds: Type.Number({ minimum: 0 }),
  width: Type.Integer({ minimum: 0 }),
  height: Type.Integer({ minimum: 0 }),
  format: VideoFormatSchema,
  expiresAt: Type.String({ format: 'date-time' }),
});
export type VideoResult = Static<typeof VideoResult>;

export const VideoCreateResult = Type.Composite([VideoResult, Type.Object({ framesProcessed: Type.Integer() })]);
export type VideoCreateResult = Static<typeof VideoCreateResult>;

export const VideoCompressPayload = Type.Object({
  clientId: Id,
  apiKeyId: Type.Union([Id, Type.Null()]),
  videoArtifactId: Id,
  maxSizeBytes: Type.Integer({ minimum: 10_000 }),
  qualityReduction: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  outputName: Type.String({ maxLength: 200 }),
});
export type VideoCompressPayload = Static<typeof VideoCompressPayload>;

export const VideoCompressResult = Type.Composite([
  VideoResult,
  Type.Object({ originalSize: Type.Integer(), compressedSize: Type.Integer(), compressionRatio: Type.Number() }),
]);
export type VideoCompressResult = Static<typeof VideoCompressResult>;

export const AlertSendPayload = Type.Object({
  clientId: Id,
  apiKeyId: Type.Union([Id, Type.Null()]),
  /** Idempotency key: one e-mail per key, however often the job or the request is retried. */
  alertKey: Id,
  /** The seed's `client_id`: names the camera or site, never the tenant. */
  cameraName: Type.String({ maxLength: 200 }),
  /** The camera's id (duplicate scenes are per camera id); absent in jobs queued before it existed: the name. */
  cameraId: Type.Optional(Type.String({ maxLength: 200 })),
  /** The incident's key in the store (the request's Idempotency-Key), when the caller gave one. */
  incidentKey: Type.Optional(Type.String({ maxLength: 200 })),
  /** The clip could not be cut: the e-mail says so. */
  clipFailed: Type.Optional(Type.Boolean()),
  /** The gateway's public base and the link's expiry, so the worker's e-mail and the gateway's reply carry one link. */
  linkBaseUrl: Type.Optional(Type.String({ maxLength: 500 })),
  linkExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  riskLevel: RiskLevelSchema,
  incidentType: IncidentTypeSchema,
  analysis: Type.String({ maxLength: 20_000 }),
  detailedAnalysis: Type.Optional(Type.String({ maxLength: 20_000 })),
  videoArtifactId: Type.Optional(Id),
  /** Frames of the incident: thumbnail and the perceptual hash for duplicate suppression. */
  frameBlobKeys: Type.Array(Id, { maxItems: 64 }),
  language: AlertLanguageSchema,
  occurredAt: Type.String({ format: 'date-time' }),
  /** A camera health notice (the notice templates) instead of an incident alert. */
  notice: Type.Optional(
    Type.Object({
      kind: Type.Union([Type.Literal('camera_offline'), Type.Literal('camera_online')]),
      seconds: Type.Number({ minimum: 0 }),
      outageStartedAt: Type.Optional(Type.String({ format: 'date-time' })),
    }),
  ),
});
export type AlertSendPayload = Static<typeof AlertSendPayload>;

export enum AlertStatus {
  Delivered = 'delivered',
  Suppressed = 'suppressed',
  Queued = 'queued',
  Failed = 'failed',
}

export const AlertSendResult = Type.Object({
  alertId: Id,
  status: Type.Enum(AlertStatus),
  to: Type.String(),
  attempts: Type.Integer({ minimum: 0 }),
  messageId: Type.Optional(Type.String()),
  clipAttached: Type.Boolean(),
  videoId: Type.Optional(Id),
  videoUrl: Type.Optional(Type.String()),
  videoExpiresAt: Type.Optional(Type.String()),
  suppressedReason: Type.Optional(Type.String()),
});
export type AlertSendResult = Static<typeof AlertSendResult>;

export const StorageCleanupPayload = Type.Object({
  /** null: every client (the scheduled retention run). */
  clientId: Type.Union([Id, Type.Null()]),
  mode: Type.Union([Type.Literal('expired'), Type.Literal('old'), Type.Literal('all')]),
  maxAgeHours: Type.Optional(Type.Number({ minimum: 0 })),
});
export type StorageCleanupPayload = Static<typeof StorageCleanupPayload>;

export const StorageCleanupResult = Type.Object({
  cleaned: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  total: Type.Integer({ minimum: 0 }),
  bytesFreed: Type.Integer({ minimum: 0 }),
});
export type StorageCleanupResult = Static<typeof StorageCleanupResult>;

export const ClientErasePayload = Type.Object({ clientId: Id });
export type ClientErasePayload = Static<typeof ClientErasePayload>;

export interface JobPayloadMap {
  [JobName.FrameAnalyze]: FrameAnalyzePayload;
  [JobName.VideoCreate]: VideoCreatePayload;
  [JobName.VideoCompress]: VideoCompressPayload;
  [JobName.AlertSend]: AlertSendPayload;
  [JobName.NoticeSend]: NoticeSendPayload;
  [JobName.StorageCleanup]: StorageCleanupPayload;
  [JobName.ClientErase]: ClientErasePayload;
  [JobName.DigestRun]: DigestRunPayload;
}

export interface JobResultMap {
  [JobName.FrameAnalyze]: FrameAnalyzeResult;
  [JobName.VideoCreate]: VideoCreateResult;
  [JobName.VideoCompress]: VideoCompressResult;
  [JobName.AlertSend]: AlertSendResult;
  [JobName.NoticeSend]: NoticeSendResult;
  [JobName.StorageCleanup]: StorageCleanupResult;
  [JobName.ClientErase]: StorageCleanupResult;
  [JobName.DigestRun]: DigestRunResult;
}

export const JOB_PAYLOAD_SCHEMA: Record<JobName, TSchema> = {
  [JobName.FrameAnalyze]: FrameAnalyzePayload,
  [JobName.VideoCreate]: VideoCreatePayload,
  [JobName.VideoCompress]: VideoCompressPayload,
  [JobName.AlertSend]: AlertSendPayload,
  [JobName.NoticeSend]: NoticeSendPayload,
  [JobName.StorageCleanup]: StorageCleanupPayload,
  [JobName.ClientErase]: ClientErasePayload,
  [JobName.DigestRun]: DigestRunPayload,
};

export enum JobState {
  Waiting = 'waiting',
  Active = 'active',
  Delayed = 'delayed',
  Completed = 'completed',
  Failed = 'failed',
  Unknown = 'unknown',
}
