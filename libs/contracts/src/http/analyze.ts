import { Type, type Static } from '@sinclair/typebox';
import { AnalysisResult } from '../analysis';
import { AlertLanguageSchema } from '../risk';
import { Base64, OptionalNullable } from './common';

/**
 * `POST /api/video/analyze`: `frame` (+ optional `frames`) in the body, or `frame: null` / `{}` to analyze
 * what the key's client last buffered or uploaded.
 */
export const AnalyzeBody = Type.Object({
  frame: OptionalNullable(Base64),
  frames: OptionalNullable(Type.Array(Base64, { maxItems: 64 })),
  frame_count: OptionalNullable(Type.Integer({ minimum: 0 })),
  buffer_type: OptionalNullable(Type.Union([Type.Literal('short'), Type.Literal('long')])),
  language: OptionalNullable(AlertLanguageSchema),
  camera_name: OptionalNullable(Type.String({ maxLength: 200 })),
  /**
   * Vigint agents: the confirming stage's frames, chosen and AI-encoded by the agent as local mode would; `frames`
   * are then the screening frames, and nothing goes into the client's server-side buffer. Earlier clients omit it.
   */
  confirm_frames: OptionalNullable(Type.Array(Base64, { maxItems: 64 })),
});
export type AnalyzeBody = Static<typeof AnalyzeBody>;

export const AnalyzeReply = Type.Composite([
  AnalysisResult,
  Type.Object({ success: Type.Boolean(), job_id: Type.Optional(Type.String()) }),
]);
export type AnalyzeReply = Static<typeof AnalyzeReply>;

export const MultiSourceAnalyzeBody = Type.Object({
  source_ids: OptionalNullable(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 32 })),
  buffer_type: OptionalNullable(Type.Union([Type.Literal('short'), Type.Literal('long')])),
  language: OptionalNullable(AlertLanguageSchema),
});
export type MultiSourceAnalyzeBody = Static<typeof MultiSourceAnalyzeBody>;

export const MultiSourceAnalyzeReply = Type.Object({
  success: Type.Boolean(),
  sources: Type.Record(
    Type.String(),
    Type.Composite([
      AnalysisResult,
      Type.Object({ source_name: Type.Optional(Type.String()), error: Type.Optional(Type.String()) }),
    ]),
  ),
  summary: Type.Object({
    total_sources: Type.Integer(),
    total_incidents_detected_by_flash_lite: Type.Integer(),
    total_incidents_confirmed_by_flash: Type.Integer(),
    total_incidents_vetoed: Type.Integer(),
    has_any_confirmed_incident: Type.Boolean(),
  }),
});
export type MultiSourceAnalyzeReply = Static<typeof MultiSourceAnalyzeReply>;
