import { Type, type Static } from '@sinclair/typebox';
import { AlertLanguageSchema } from '../risk';
import { Base64, DisplayFilename, OptionalNullable } from './common';

/**
 * `POST /api/video/alert`. `risk_level` and `incident_type` are read leniently (`high`, `High`...);
 * an unknown value is a 400 naming the field. `client_id` names the camera or site, never the tenant.
 */
export const AlertBody = Type.Object({
  analysis: OptionalNullable(Type.String({ maxLength: 20_000 })),
  risk_level: OptionalNullable(Type.String({ maxLength: 20 })),
  incident_type: OptionalNullable(Type.String({ maxLength: 40 })),
  client_id: OptionalNullable(Type.String({ maxLength: 200 })),
  /** The camera's display name when `client_id` carries its id (Vigint's agent); default: `client_id`. */
  camera_name: OptionalNullable(Type.String({ maxLength: 200 })),
  /** Why the clip is missing (it could not be cut): the e-mail says the clip failed. */
  clip_error: OptionalNullable(Type.String({ maxLength: 1000 })),
  use_server_buffer: OptionalNullable(Type.Boolean()),
  video_data: OptionalNullable(Base64),
  /**
   * Vigint agents: the event's masked snapshot (JPEG), as local mode uses it: the e-mail's thumbnail and the
   * duplicate-scene check. Earlier clients omit it (their server-side buffer gives the frames).
   */
  snapshot: OptionalNullable(Base64),
  /** Vigint agents: when the event started (ISO 8601), the e-mail's time as in local mode; default: now. */
  occurred_at: OptionalNullable(Type.String({ format: 'date-time', maxLength: 40 })),
  /**
   * Vigint agents: a camera health notice instead of an incident, written from the notice templates in `language`
   * (as local mode does); `occurred_at` is the notice's time, `notice_seconds` the silence or the outage length.
   */
  notice: OptionalNullable(Type.Union([Type.Literal('camera_offline'), Type.Literal('camera_online')])),
  notice_seconds: OptionalNullable(Type.Number({ minimum: 0, maximum: 31_536_000 })),
  outage_started_at: OptionalNullable(Type.String({ format: 'date-time', maxLength: 40 })),
  video_filename: OptionalNullable(DisplayFilename),
  frame_count: OptionalNullable(Type.Integer({ minimum: 0 })),
  detailed_analysis: OptionalNullable(Type.String({ maxLength: 20_000 })),
  language: OptionalNullable(AlertLanguageSchema),
});
export type AlertBody = Static<typeof AlertBody>;

export const VideoLinkInfo = Type.Object({
  available: Type.Boolean(),
  video_url: Type.Union([Type.String(), Type.Null()]),
  video_id: Type.Union([Type.String(), Type.Null()]),
  expiration_time: Type.Union([Type.String(), Type.Null()]),
});
export type VideoLinkInfo = Static<typeof VideoLinkInfo>;

/** 200 when delivered (or suppressed as a duplicate); 207 with `success: false` when not out in time. */
export const AlertReply = Type.Object({
  success: Type.Boolean(),
  status: Type.String({ description: 'delivered | suppressed | queued | failed' }),
  error: Type.Optional(Type.String()),
  alert_id: Type.Union([Type.String(), Type.Null()]),
  job_id: Type.Optional(Type.String()),
  to: Type.String(),
  client_name: Type.String(),
  risk_level: Type.String(),
  incident_summary: Type.String(),
  video_link: VideoLinkInfo,
  email_delivery: Type.Object({
    success: Type.Boolean(),
    attempts: Type.Integer(),
    message_id: Type.Optional(Type.String()),
    clip_attached: Type.Optional(Type.Boolean()),
    suppressed_reason: Type.Optional(Type.String()),
  }),
});
export type AlertReply = Static<typeof AlertReply>;
