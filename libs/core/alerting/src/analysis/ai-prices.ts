import type { AiCall, TokenUsage } from '@vigint/contracts';
import type { Logger } from '@vigint/logger';

/** USD per million tokens. Output includes thinking tokens, billed at the output rate. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Last day (UTC, YYYY-MM-DD) of this rate; `then` applies afterwards (launch promotions). */
  until?: string;
  then?: { input: number; output: number };
}

export type PriceTable = Record<string, ModelPrice>;

/**
 * The one price table (Gemini API paid tier, ai.google.dev/gemini-api/docs/pricing and the model pages,
 * read 2026-12). Override or extend it with AI_PRICES_JSON; a model missing here is warned about loudly
 * and counted at $0, never silently.
 */
export const DEFAULT_AI_PRICES: PriceTable = {
  'gemini-3.5-flash-lite': { input: 0.3, output: 2.5 },
  // Launch rate through 2026-12-31, doubling on 2027-01-01.
  'gemini-3.8-flash': { input: 0.75, output: 3.75, until: '2026-12-31', then: { input: 1.5, output: 7.5 } },
  'gemini-3.6-flash': { input: 1.5, output: 7.5 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  // Shut down 2026-12-01; kept so older usage rows still price.
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  // OpenAI standard tier (developers.openai.com/api/docs/models/<model>, read 2026-12; gpt-5-nano is marked
  // deprecated there): override with AI_PRICES_JSON when they move.
  'gpt-5.4-mini': { input: 0.75, output: 4.5 },
  'gpt-5.4-nano': { input: 0.2, output: 1.25 },
  'gpt-5-mini': { input: 0.25, output: 2.0 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'offline-motion': { input: 0, output: 0 },
  offline: { input: 0, output: 0 },
};

/**
 * A server on this machine or the local network (Ollama, vLLM, llama.cpp, LM Studio): localhost, private
 * IPv4 ranges, `*.local`, `host.docker.internal`, or a single-label host (a compose service name).
 */
export function isSelfHostedAiUrl(url: string | undefined): boolean {
  if (!url) return false;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (host === 'localhost' || host === '::1' || host.endsWith('.local') || host === 'host.docker.internal') return true;
  if (/^(127|10)\./.test(host) || /^192\.168\./.test(host) || /^172\.(1[6-9]|2\d|3[01])\./.test(host)) return true;
  return !host.includes('.') && !host.includes(':');
}

export interface SelfHostedPricing {
  AI_PROVIDER?: string;
  AI_BASE_URL?: string;
  AI_MODEL_SHORT?: string;
  AI_MODEL_LONG?: string;
  AI_MODEL_FALLBACK?: string;
}

/**
 * A self-hosted model costs nothing per token: its configured models are priced 0 on purpose, so the
 * unpriced-model warning does not fire for them (AI_PRICES_JSON can still price them, e.g. GPU hours).
 */
export function selfHostedPrices(config: SelfHostedPricing): PriceTable {
  if (config.AI_PROVIDER !== 'openai' || !isSelfHostedAiUrl(config.AI_BASE_URL)) return {};
  const models = [config.AI_MODEL_SHORT, config.AI_MODEL_LONG, config.AI_MODEL_FALLBACK].filter(
    (m): m is string => !!m,
  );
  return Object.fromEntries(models.map((m) => [m, { input: 0, output: 0 }]));
}

/**
 * DEFAULT_AI_PRICES, then `base` (e.g. selfHostedPrices), then AI_PRICES_JSON
 * (`{"model": {"input": 0.1, "output": 0.4}}`), each overriding the one before.
 */
export function buildPriceTable(json?: string, base: PriceTable = {}): PriceTable {
  if (!json) return { ...DEFAULT_AI_PRICES, ...base };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('AI_PRICES_JSON is not valid JSON (expected {"model": {"input": USD/1M, "output": USD/1M}})');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('AI_PRICES_JSON must be an object of {"model": {"input": n, "output": n}}');
  for (const [model, p] of Object.entries(parsed as Record<string, unknown>)) {
    const price = p as { input?: unknown; output?: unknown };
    if (typeof price?.input !== 'number' || typeof price?.output !== 'number' || price.input < 0 || price.output < 0)
      throw new Error(`AI_PRICES_JSON: "${model}" needs numeric "input" and "output" (USD per million tokens)`);
  }
  return { ...DEFAULT_AI_PRICES, ...base, ...(parsed as PriceTable) };
}

function rateAt(price: ModelPrice, at: Date): { input: number; output: number } {
  if (price.until && price.then && at.toISOString().slice(0, 10) > price.until) return price.then;
  return price;
}

/** Prices AI usage; warns once per unpriced model so a $0 figure never passes unnoticed. */
export class AiPricer {
  private readonly warned = new Set<string>();

  constructor(
    readonly table: PriceTable = DEFAULT_AI_PRICES,
    private readonly log?: Logger,
  ) {}

  priceOf(model: string): ModelPrice | undefined {
    const m = model.replace(/^models\//, '');
    return this.table[m];
  }

  has(model: string): boolean {
    return this.priceOf(model) !== undefined;
  }

  /** USD for the usage, or undefined (and a warning) when the model has no price. */
  cost(model: string, usage: TokenUsage, at: Date = new Date()): number | undefined {
    const price = this.priceOf(model);
    if (!price) {
      this.warnUnpriced(model);
      return undefined;
    }
    const r = rateAt(price, at);
    return (usage.prompt_tokens * r.input + usage.completion_tokens * r.output) / 1_000_000;
  }

  callCost(call: Pick<AiCall, 'model' | 'usage'>, at?: Date): number {
    return this.cost(call.model, call.usage, at) ?? 0;
  }

  warnUnpriced(model: string): void {
    if (this.warned.has(model)) return;
    this.warned.add(model);
    this.log?.warn(
      { model, fix: 'AI_PRICES_JSON={"<model>":{"input":<USD/1M>,"output":<USD/1M>}}' },
      `AI model ${model} has no price: its calls are counted at $0 until AI_PRICES_JSON names it`,
    );
  }
}
