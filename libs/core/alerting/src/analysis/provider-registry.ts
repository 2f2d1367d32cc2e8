import type { Logger } from '@vigint/logger';
import type { AnalysisProvider } from './analysis-provider';
import { resolveModels, type AiModelConfig, type AiProviderName, type StageModels } from './ai-models';

/** The AI settings each app's config passes through, named as in the environment. */
export interface AiProviderConfig extends AiModelConfig {
  GOOGLE_API_KEY?: string;
  GEMINI_BASE_URL?: string;
  GEMINI_TIMEOUT_MS?: number;
  GEMINI_MAX_ATTEMPTS?: number;
  /** A model tried when the stage's own model is unavailable or out of quota (same provider). */
  GEMINI_MODEL_FALLBACK?: string;
  AI_BASE_URL?: string;
  AI_API_KEY?: string;
  AI_MODEL_FALLBACK?: string;
}

/** How an app builds each provider: core picks one, the app supplies the adapters (core never imports them). */
export type ProviderFactories = Partial<Record<AiProviderName, (config: AiProviderConfig) => AnalysisProvider>>;

export interface ProviderSelection {
  provider?: AnalysisProvider;
  models: StageModels;
  /** Env variable naming each stage's model, for start-up errors. */
  sources: { short: string; long: string };
  fallbackModel?: string;
  /** Why there is no provider (offline analysis), for the start-up line. */
  offlineReason?: string;
}

/** Why these settings give no AI provider (the offline analysis answers), or undefined when one is configured. */
export function aiOfflineReason(config: AiProviderConfig): string | undefined {
  if (config.AI_PROVIDER === 'openai') {
    if (!config.AI_BASE_URL) return 'AI_PROVIDER=openai without AI_BASE_URL';
    if (!resolveModels(config).short) return 'AI_PROVIDER=openai without AI_MODEL_SHORT';
    return undefined;
  }
  return config.GOOGLE_API_KEY ? undefined : 'GOOGLE_API_KEY unset';
}

/**
 * AI_PROVIDER=gemini (default) needs GOOGLE_API_KEY; AI_PROVIDER=openai needs AI_BASE_URL and a model
 * (AI_API_KEY is optional: local servers such as Ollama take none). Without them: offline analysis.
 */
export function selectAnalysisProvider(
  config: AiProviderConfig,
  factories: ProviderFactories,
  log?: Logger,
): ProviderSelection {
  const { sources, ...models } = resolveModels(config);
  const name: AiProviderName = config.AI_PROVIDER ?? 'gemini';
  const offlineReason = aiOfflineReason(config);
  if (offlineReason) return { models, sources, offlineReason };
  const factory = factories[name];
  if (!factory) throw new Error(`AI_PROVIDER=${name} is not available in this app`);
  const provider = factory(config);
  const fallbackModel = (name === 'openai' ? config.AI_MODEL_FALLBACK : config.GEMINI_MODEL_FALLBACK) || undefined;
  log?.info({ provider: name, models, fallbackModel }, 'AI provider selected');
  return { provider, models, sources, fallbackModel };
}
