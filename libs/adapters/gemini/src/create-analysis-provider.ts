import type { Logger } from '@vigint/logger';
import type { AnalysisProvider } from './analysis-provider';
import { GeminiAdapter, type GeminiAdapterOptions } from './gemini.adapter';

export const DEFAULT_GEMINI_MODEL_SHORT = 'gemini-2.5-flash-lite';
export const DEFAULT_GEMINI_MODEL_LONG = 'gemini-2.5-flash';

/** The AI settings, named as in the environment (the apps' config passes them through). */
export interface AnalysisProviderConfig {
  GOOGLE_API_KEY?: string;
  GEMINI_BASE_URL?: string;
  GEMINI_MODEL?: string;
  GEMINI_MODEL_SHORT?: string;
  GEMINI_MODEL_LONG?: string;
  GEMINI_TIMEOUT_MS?: number;
  GEMINI_MAX_ATTEMPTS?: number;
}

/** GEMINI_MODEL_SHORT / _LONG, else GEMINI_MODEL for both, else the earlier system's models. */
export function resolveGeminiModels(config: AnalysisProviderConfig): { short: string; long: string } {
  return {
    short: config.GEMINI_MODEL_SHORT || config.GEMINI_MODEL || DEFAULT_GEMINI_MODEL_SHORT,
    long: config.GEMINI_MODEL_LONG || config.GEMINI_MODEL || DEFAULT_GEMINI_MODEL_LONG,
  };
}

/** A GeminiAdapter when GOOGLE_API_KEY is set; undefined otherwise (the caller falls back to offline analysis). */
export function createAnalysisProvider(
  config: AnalysisProviderConfig,
  log?: Logger,
  overrides: Partial<GeminiAdapterOptions> = {},
): AnalysisProvider | undefined {
  if (!config.GOOGLE_API_KEY) return undefined;
  return new GeminiAdapter({
    apiKey: config.GOOGLE_API_KEY,
    baseUrl: config.GEMINI_BASE_URL || undefined,
    timeoutMs: config.GEMINI_TIMEOUT_MS,
    maxAttempts: config.GEMINI_MAX_ATTEMPTS,
    log,
    ...overrides,
  });
}
