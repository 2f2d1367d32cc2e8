import type { ThinkingEffort } from '@vigint/contracts';

/**
 * Gemini's thinking controls differ per model family (ai.google.dev/gemini-api/docs/thinking):
 * 2.5 models take `thinkingBudget` (tokens; 0 disables it on Flash and Flash-Lite, Pro needs at least 128);
 * Gemini 3 models take `thinkingLevel` (MINIMAL only on the Flash-Lite line and Flash up to 3.6; 3.7 and
 * 3.8 Flash and the Pro models answer 400 to MINIMAL). Sending both fields is a 400 too.
 */
export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: 'MINIMAL' | 'LOW' | 'MEDIUM' | 'HIGH';
}

/** Tokens of thinking a confirm call may use on budget-based models. */
export const CONFIRM_THINKING_BUDGET = 512;

function base(model: string): string {
  return model.replace(/^models\//, '');
}

export function thinkingConfigFor(model: string, effort: ThinkingEffort): GeminiThinkingConfig | undefined {
  const m = base(model);
  if (/^gemini-2\.5-pro/.test(m)) return { thinkingBudget: effort === 'none' ? 128 : CONFIRM_THINKING_BUDGET };
  if (/^gemini-2\.5-flash/.test(m)) return { thinkingBudget: effort === 'none' ? 0 : CONFIRM_THINKING_BUDGET };
  const v3 = /^gemini-3(?:\.(\d+))?-(flash-lite|flash|pro)/.exec(m);
  if (v3) {
    const minor = Number(v3[1] ?? 0);
    const minimal = v3[2] === 'flash-lite' || (v3[2] === 'flash' && minor <= 6);
    return { thinkingLevel: effort === 'none' && minimal ? 'MINIMAL' : 'LOW' };
  }
  // Unknown family (a tuned or future model): leave the model's default rather than risk a 400.
  return undefined;
}

/**
 * maxOutputTokens for a stage. Thinking tokens count against it, so the limit sits well above the
 * thinking budget: the verdict JSON itself is ~100-300 tokens.
 */
export function maxOutputTokensFor(effort: ThinkingEffort): number {
  return effort === 'none' ? 2048 : 4096;
}
