import { Type, type Static } from '@sinclair/typebox';
import { IncidentType, IncidentTypeSchema, RiskLevel, RiskLevelSchema } from './risk';

/**
 * What the AI model must answer (Gemini structured output: responseMimeType application/json with this
 * schema). Kept small and flat: Gemini's responseSchema supports a subset of OpenAPI.
 */
export const AiVerdict = Type.Object({
  incident: Type.Boolean(),
  incident_type: IncidentTypeSchema,
  risk_level: RiskLevelSchema,
  description: Type.String({ maxLength: 2000 }),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  frame_indexes: Type.Array(Type.Integer({ minimum: 0 })),
});
export type AiVerdict = Static<typeof AiVerdict>;

export const TokenUsage = Type.Object({
  prompt_tokens: Type.Integer({ minimum: 0 }),
  completion_tokens: Type.Integer({ minimum: 0 }),
  total_tokens: Type.Integer({ minimum: 0 }),
});
export type TokenUsage = Static<typeof TokenUsage>;

export enum AnalysisStage {
  Screen = 'screen',
  Confirm = 'confirm',
  Offline = 'offline',
}

/** One model call, as recorded for usage counters and cost. */
export const AiCall = Type.Object({
  stage: Type.Enum(AnalysisStage),
  model: Type.String(),
  images: Type.Integer({ minimum: 0 }),
  image_bytes: Type.Integer({ minimum: 0 }),
  usage: TokenUsage,
  duration_ms: Type.Number({ minimum: 0 }),
});
export type AiCall = Static<typeof AiCall>;

/**
 * The analysis of a frame or a buffer, with the field names the earlier clients read
 * (`has_security_incident`, `incident_detected`, `analysis`...) and the seed's (`incident`, `confidence`).
 */
export const AnalysisResult = Type.Object({
  has_security_incident: Type.Boolean(),
  incident_detected: Type.Boolean(),
  incident: Type.Boolean(),
  incident_type: IncidentTypeSchema,
  risk_level: RiskLevelSchema,
  analysis: Type.String(),
  description: Type.String(),
  confidence: Type.Number({ minimum: 0, maximum: 1 }),
  frame_count: Type.Integer({ minimum: 0 }),
  frame_indexes: Type.Array(Type.Integer({ minimum: 0 })),
  model: Type.String(),
  offline: Type.Boolean(),
  token_usage: TokenUsage,
  ai_calls: Type.Array(AiCall),
  /** Two-stage fields, present once the screening stage saw an incident. */
  detailed_analysis: Type.Optional(Type.String()),
  flash_confirmation: Type.Optional(Type.Boolean()),
  flash_veto: Type.Optional(Type.Boolean()),
  veto_reason: Type.Optional(Type.String()),
  client_email: Type.Optional(Type.String()),
});
export type AnalysisResult = Static<typeof AnalysisResult>;

export const NO_INCIDENT: Pick<AnalysisResult, 'incident_type' | 'risk_level'> = {
  incident_type: IncidentType.None,
  risk_level: RiskLevel.None,
};
