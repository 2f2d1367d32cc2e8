import type { ThinkingEffort } from '@vigint/contracts';

/*
 * Request fields that differ per model family on OpenAI's API (platform.openai.com/docs/guides/reasoning):
 * reasoning models (o-series, gpt-5 and later) take `reasoning_effort` and refuse a temperature other than
 * the default; other models refuse `reasoning_effort`. Local servers serve any name: their models get
 * neither field, so each one thinks as its server is set up to.
 */

function base(model: string): string {
  return model.replace(/^openai\//, '');
}

export function isReasoningModel(model: string): boolean {
  return /^(o\d+|gpt-5)/.test(base(model));
}

/**
 * `reasoning_effort` for a stage. gpt-5 has `minimal` as its lowest level; gpt-5.1 and later have `none`;
 * o-series models start at `low`.
 */
export function reasoningEffortFor(model: string, effort: ThinkingEffort): string | undefined {
  const m = base(model);
  if (/^o\d+/.test(m)) return 'low';
  const v5 = /^gpt-5(?:\.(\d+))?/.exec(m);
  if (!v5) return undefined;
  if (effort === 'low') return 'low';
  return v5[1] !== undefined && Number(v5[1]) >= 1 ? 'none' : 'minimal';
}

/** Output tokens a stage may use, reasoning included: well above what a verdict needs (~100-300). */
export function maxOutputTokensFor(effort: ThinkingEffort): number {
  return effort === 'none' ? 2048 : 4096;
}

/**
 * OpenAI deprecated `max_tokens` for `max_completion_tokens` (its reasoning models answer 400 to the old
 * one); Ollama, llama.cpp and LM Studio read only `max_tokens`. OpenAI's own endpoint and OpenAI's
 * reasoning models behind any proxy get the new field, everything else the old one.
 */
export function maxTokensFieldFor(baseUrl: string, model: string): 'max_completion_tokens' | 'max_tokens' {
  if (isReasoningModel(model)) return 'max_completion_tokens';
  try {
    return new URL(baseUrl).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens';
  } catch {
    return 'max_tokens';
  }
}
