/*
 * The one place the default models are named. Current GA models per Google's model docs
 * (ai.google.dev/gemini-api/docs/latest-model, .../generate-content/whats-new-gemini-3.6, read 2026-12):
 * gemini-2.5-flash was shut down on 2026-12-01 (ai.google.dev/gemini-api/docs/deprecations).
 * - screen: gemini-3.5-flash-lite, the fastest, lowest-cost GA model; thinking MINIMAL by default.
 * - confirm: gemini-3.8-flash, the newest GA Flash; thinking LOW (it has no MINIMAL level).
 */
export const DEFAULT_GEMINI_MODEL_SHORT = 'gemini-3.5-flash-lite';
export const DEFAULT_GEMINI_MODEL_LONG = 'gemini-3.8-flash';

export type AiProviderName = 'gemini' | 'openai';

/** The AI settings, named as in the environment (each app's config.ts passes them through). */
export interface AiModelConfig {
  AI_PROVIDER?: AiProviderName;
  GEMINI_MODEL?: string;
  GEMINI_MODEL_SHORT?: string;
  GEMINI_MODEL_LONG?: string;
  /** OpenAI-compatible models: no default (a local server names its own). */
  AI_MODEL_SHORT?: string;
  AI_MODEL_LONG?: string;
}

export interface StageModels {
  short: string;
  long: string;
}

/** Which environment variable names the model of each stage, for start-up errors. */
export interface StageModelSources {
  short: string;
  long: string;
}

/**
 * Gemini: GEMINI_MODEL_SHORT / _LONG, else GEMINI_MODEL for both, else the defaults above.
 * OpenAI-compatible: AI_MODEL_SHORT / _LONG (AI_MODEL_LONG defaults to AI_MODEL_SHORT).
 */
export function resolveModels(config: AiModelConfig): StageModels & { sources: StageModelSources } {
  if (config.AI_PROVIDER === 'openai') {
    const short = config.AI_MODEL_SHORT || config.AI_MODEL_LONG || '';
    const long = config.AI_MODEL_LONG || short;
    return {
      short,
      long,
      sources: { short: 'AI_MODEL_SHORT', long: config.AI_MODEL_LONG ? 'AI_MODEL_LONG' : 'AI_MODEL_SHORT' },
    };
  }
  const source = (specific: 'GEMINI_MODEL_SHORT' | 'GEMINI_MODEL_LONG') =>
    config[specific] ? specific : config.GEMINI_MODEL ? 'GEMINI_MODEL' : `${specific} (default)`;
  return {
    short: config.GEMINI_MODEL_SHORT || config.GEMINI_MODEL || DEFAULT_GEMINI_MODEL_SHORT,
    long: config.GEMINI_MODEL_LONG || config.GEMINI_MODEL || DEFAULT_GEMINI_MODEL_LONG,
    sources: { short: source('GEMINI_MODEL_SHORT'), long: source('GEMINI_MODEL_LONG') },
  };
}
