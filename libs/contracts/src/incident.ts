import { Type, type Static } from '@sinclair/typebox';
import { CameraState } from './camera';
import { AppError, ErrorCode } from './errors';
import { AlertLanguageSchema, IncidentTypeSchema, RiskLevelSchema } from './risk';

/*
 * Incidents and cameras on record (docs/architecture.md, "Where data lives"). One shape for both modes: the
 * local file store and PostgreSQL store the same records, and GET /api/incidents, /api/cameras answer them.
 * Field names are camelCase (these routes are Vigint's own, not the earlier API's); dates are ISO 8601 strings.
 */

const IsoDate = Type.String({ format: 'date-time' });
const NullableIsoDate = Type.Union([IsoDate, Type.Null()]);

export enum IncidentStatus {
  /** The event is still running (post-roll, delivery under way). */
  Open = 'open',
  Closed = 'closed',
}
export const IncidentStatusSchema = Type.Enum(IncidentStatus);

/** What one stage of the analysis said (screening on the short buffer, confirming on the long one). */
export const StageVerdict = Type.Object({
  model: Type.String({ maxLength: 200 }),
  incident: Type.Boolean(),
  riskLevel: RiskLevelSchema,
  incidentType: IncidentTypeSchema,
  description: Type.String({ maxLength: 4000 }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
});
export type StageVerdict = Static<typeof StageVerdict>;

/** The confirming stage has the final word: it may veto the screening verdict, or fail to answer. */
export const ConfirmVerdict = Type.Intersect([
  StageVerdict,
  Type.Object({
    vetoed: Type.Boolean(),
    vetoReason: Type.Optional(Type.String({ maxLength: 2000 })),
    /** The confirming model could not answer (timeout, refusal): the screening verdict stands. */
    unanswered: Type.Optional(Type.Boolean()),
  }),
]);
export type ConfirmVerdict = Static<typeof ConfirmVerdict>;

export enum DeliveryState {
  Sent = 'sent',
  /** Same scene within the cooldown, or the key was already delivered. */
  Suppressed = 'suppressed',
  /** Not out yet; the job (or the agent's outbox) keeps retrying. */
  Queued = 'queued',
  Failed = 'failed',
}

/** One delivery attempt on one channel (`email`, and the console's push channels). */
export const IncidentDelivery = Type.Object({
  channel: Type.String({ minLength: 1, maxLength: 40 }),
  status: Type.Enum(DeliveryState),
  at: IsoDate,
  attempt: Type.Integer({ minimum: 1 }),
  detail: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type IncidentDelivery = Static<typeof IncidentDelivery>;

export const IncidentRecord = Type.Object({
  id: Type.String(),
  /** The agent's key for the event (`${cameraId}-${startedAt ms}`): one record, one e-mail per key. */
  idempotencyKey: Type.String(),
  /** The agent's camera id (config `cameras[].id`), not its display name. */
  cameraId: Type.String(),
  cameraName: Type.String(),
  startedAt: IsoDate,
  endedAt: NullableIsoDate,
  /** When the analysis that opened the incident returned. */
  detectedAt: IsoDate,
  riskLevel: RiskLevelSchema,
  incidentType: IncidentTypeSchema,
  /** The AI's one-line summary. */
  summary: Type.String(),
  screen: Type.Union([StageVerdict, Type.Null()]),
  confirm: Type.Union([ConfirmVerdict, Type.Null()]),
  clipArtifactId: Type.Union([Type.String(), Type.Null()]),
  thumbnailArtifactId: Type.Union([Type.String(), Type.Null()]),
  deliveries: Type.Array(IncidentDelivery),
  acknowledgedAt: NullableIsoDate,
  status: IncidentStatusSchema,
  /** Removed after this (retention, default 72 h as for artifacts). */
  expiresAt: IsoDate,
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type IncidentRecord = Static<typeof IncidentRecord>;

/** `POST /api/incidents`, and what the stores' open() takes: the incident as the agent knows it when it opens. */
export const IncidentOpen = Type.Object({
  idempotencyKey: Type.String({ minLength: 8, maxLength: 200, pattern: '^[A-Za-z0-9_.-]+$' }),
  cameraId: Type.String({ minLength: 1, maxLength: 200 }),
  cameraName: Type.String({ minLength: 1, maxLength: 200 }),
  startedAt: IsoDate,
  detectedAt: IsoDate,
  riskLevel: RiskLevelSchema,
  incidentType: IncidentTypeSchema,
  summary: Type.String({ maxLength: 4000 }),
  screen: Type.Optional(Type.Union([StageVerdict, Type.Null()])),
  confirm: Type.Optional(Type.Union([ConfirmVerdict, Type.Null()])),
});
export type IncidentOpen = Static<typeof IncidentOpen>;

/** An alert the agent sent without the gateway: when the event ended and how the e-mail went. */
export const IncidentDelivered = Type.Object({
  endedAt: Type.Optional(IsoDate),
  delivery: IncidentDelivery,
});
export type IncidentDelivered = Static<typeof IncidentDelivered>;

/**
 * `POST /api/incidents` body: the record to open, and the masked snapshot for the first notice (sent at
 * confirm time, before the post-roll ends). The snapshot is not stored with the record: it waits in Redis
 * for the notice job only.
 */
export const IncidentAnnounce = Type.Composite([
  IncidentOpen,
  Type.Object({
    /** The camera's language when the agent's config sets one: the notice is written in it (else the client's). */
    language: Type.Optional(AlertLanguageSchema),
    /** Base64 JPEG, at most ~512 KB decoded. */
    snapshotJpeg: Type.Optional(Type.String({ minLength: 4, maxLength: 700_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' })),
    /**
     * The agent already sent this incident's alert itself (failover, the gateway was unreachable): the record is
     * closed with that delivery in its log, and nothing is mailed.
     */
    delivered: Type.Optional(IncidentDelivered),
  }),
]);
export type IncidentAnnounce = Static<typeof IncidentAnnounce>;

/** What may change after open(): the verdicts, the artifacts, the end. */
export const IncidentPatch = Type.Partial(
  Type.Object({
    endedAt: IsoDate,
    riskLevel: RiskLevelSchema,
    incidentType: IncidentTypeSchema,
    summary: Type.String({ maxLength: 4000 }),
    screen: Type.Union([StageVerdict, Type.Null()]),
    confirm: Type.Union([ConfirmVerdict, Type.Null()]),
    clipArtifactId: Type.Union([Type.String(), Type.Null()]),
    thumbnailArtifactId: Type.Union([Type.String(), Type.Null()]),
    status: IncidentStatusSchema,
  }),
);
export type IncidentPatch = Static<typeof IncidentPatch>;

/** `GET /api/incidents` query. `risk` keeps incidents at or above that level; `from`/`to` bound `startedAt`. */
export const IncidentListQuery = Type.Object({
  camera: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  risk: Type.Optional(RiskLevelSchema),
  from: Type.Optional(IsoDate),
  to: Type.Optional(IsoDate),
  status: Type.Optional(IncidentStatusSchema),
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  /** 1-100, default 20. A string too: the gateway does not coerce query strings (`?limit=5` arrives as "5"). */
  limit: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 100 }), Type.String({ pattern: '^(100|[1-9][0-9]?)$' })]),
  ),
});
export type IncidentListQuery = Static<typeof IncidentListQuery>;

/** Newest first; `nextCursor` is null on the last page. */
export const IncidentPage = Type.Object({
  incidents: Type.Array(IncidentRecord),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type IncidentPage = Static<typeof IncidentPage>;

export const CameraStateSchema = Type.Enum(CameraState);

export const CameraRecord = Type.Object({
  /** The agent's camera id (config `cameras[].id`). */
  id: Type.String(),
  name: Type.String(),
  state: CameraStateSchema,
  lastFrameAt: NullableIsoDate,
  lastHeartbeatAt: NullableIsoDate,
  /** No alert is sent for this camera until then (the incident is still recorded). */
  snoozedUntil: NullableIsoDate,
  /** Risk at or above which an event opens an incident. */
  alertThreshold: RiskLevelSchema,
  /** Incidents started since 00:00 UTC today. */
  incidentsToday: Type.Integer({ minimum: 0 }),
});
export type CameraRecord = Static<typeof CameraRecord>;

/** One camera's state as the agent reports it. */
export const CameraHeartbeat = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  state: CameraStateSchema,
  lastFrameAt: NullableIsoDate,
  /** The agent's configured threshold; the console's setThreshold() wins once set. */
  alertThreshold: Type.Optional(RiskLevelSchema),
});
export type CameraHeartbeat = Static<typeof CameraHeartbeat>;

/** `POST /api/cameras/heartbeat`: every camera of the agent at once. */
export const CameraHeartbeatBody = Type.Object({
  cameras: Type.Array(CameraHeartbeat, { minItems: 1, maxItems: 64 }),
});
export type CameraHeartbeatBody = Static<typeof CameraHeartbeatBody>;

export const CameraList = Type.Object({ cameras: Type.Array(CameraRecord) });
export type CameraList = Static<typeof CameraList>;

export const CameraSnoozeBody = Type.Object({ until: NullableIsoDate });
export type CameraSnoozeBody = Static<typeof CameraSnoozeBody>;

export const CameraThresholdBody = Type.Object({ alertThreshold: RiskLevelSchema });
export type CameraThresholdBody = Static<typeof CameraThresholdBody>;

/** Default retention of incidents and camera records, as for artifacts. */
export const DEFAULT_RECORD_RETENTION_HOURS = 72;

/** Page position of `GET /api/incidents`: the last record's start and id (newest first; the id breaks ties). */
export interface IncidentCursor {
  startedAt: string;
  id: string;
}

export function encodeIncidentCursor(c: IncidentCursor): string {
  return Buffer.from(`${c.startedAt}|${c.id}`, 'utf8').toString('base64url');
}

/** A cursor that is not one of ours is the caller's mistake: 400 naming the field. */
export function decodeIncidentCursor(raw: string): IncidentCursor {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const startedAt = text.slice(0, bar);
  if (bar <= 0 || Number.isNaN(Date.parse(startedAt)) || bar === text.length - 1)
    throw new AppError(ErrorCode.ValidationFailed, 'cursor is not a nextCursor this server gave', { field: 'cursor' });
  return { startedAt, id: text.slice(bar + 1) };
}
