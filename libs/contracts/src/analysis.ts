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
  /** Output tokens as billed: the answer plus the model's thinking tokens. */
  completion_tokens: Type.Integer({ minimum: 0 }),
  total_tokens: Type.Integer({ minimum: 0 }),
  /** The thinking part of completion_tokens (Gemini `thoughtsTokenCount`, OpenAI `reasoning_tokens`). */
  thinking_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
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
  /** The model version that answered (Gemini `modelVersion`, OpenAI `model` of the reply). */
  model_version: Type.Optional(Type.String()),
  /** `gemini` or `openai`. */
  provider: Type.Optional(Type.String()),
  /** The call failed (blocked, cut off, error) but its tokens were billed all the same. */
  failed: Type.Optional(Type.Boolean()),
  /** USD, from the price table; absent when the model has no price. */
  cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
});
export type AiCall = Static<typeof AiCall>;

/** Why an analysis answered without (part of) the AI: the alert says so instead of staying silent. */
export enum AiFallbackReason {
  /** The confirming model declined the footage (safety filter): the screening verdict stands. */
  ConfirmDeclined = 'confirm_declined',
  /** The confirming model could not answer (error, cut-off reply, quota): the screening verdict stands. */
  ConfirmFailed = 'confirm_failed',
  /** The screening model could not answer: the offline motion analysis decided. */
  ScreenFailed = 'screen_failed',
  /** The model's daily quota is used up until the quota window resets: offline motion analysis. */
  QuotaExhausted = 'quota_exhausted',
  /** The client's AI spend budget is used up for the day or month: offline motion analysis. */
  BudgetExhausted = 'budget_exhausted',
}

export const AiFallback = Type.Object({
  stage: Type.Enum(AnalysisStage),
  reason: Type.Enum(AiFallbackReason),
  /** One sentence for the e-mail, in the alert's language. */
  note: Type.String(),
  /** The model that could not answer. */
  model: Type.Optional(Type.String()),
  /** The service's own reason (e.g. Google's error message or finish reason), for the operator. */
  error: Type.Optional(Type.String()),
});
export type AiFallback = Static<typeof AiFallback>;

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
  /** Set when a model could not answer and a fallback decided (screening verdict, offline analysis). */
  ai_fallback: Type.Optional(AiFallback),
  client_email: Type.Optional(Type.String()),
});
export type AnalysisResult = Static<typeof AnalysisResult>;

export const NO_INCIDENT: Pick<AnalysisResult, 'incident_type' | 'risk_level'> = {
  incident_type: IncidentType.None,
  risk_level: RiskLevel.None,
};
