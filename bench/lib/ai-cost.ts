import { AiPricer, DEFAULT_AI_PRICES, DEFAULT_MODELS } from '@vigint/alerting';
import { estimateTokens, imageDimensions, type RecordedGeminiRequest } from '@vigint/testing';

/** USD per million tokens: the one price table (libs/core/alerting/src/analysis/ai-prices.ts). */
export const PRICES: Record<string, { input: number; output: number }> = DEFAULT_AI_PRICES;

export interface AiBill {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
  byModel: Record<string, number>;
}

/**
 * What the recorded requests cost: input tokens counted the way the fake (and Gemini) count them —
 * 258 per image tile plus ~4 characters per text token — and the reply's tokens from its JSON length.
 */
export function billOf(requests: readonly RecordedGeminiRequest[], replyChars: number): AiBill {
  const bill: AiBill = { requests: 0, inputTokens: 0, outputTokens: 0, usd: 0, byModel: {} };
  for (const r of requests) {
    const sizes = r.images.map((i) => imageDimensions(i.data) ?? { width: 768, height: 768 });
    const input = estimateTokens(r.prompt, sizes);
    const output = Math.ceil(replyChars / 4);
    const price = PRICES[r.model] ?? PRICES[DEFAULT_MODELS.long]!;
    bill.requests++;
    bill.inputTokens += input;
    bill.outputTokens += output;
    bill.usd += (input * price.input + output * price.output) / 1e6;
    bill.byModel[r.model] = (bill.byModel[r.model] ?? 0) + 1;
  }
  return bill;
}

/** The naive policy: one frame per second, one screening request each (same prompt, one image). */
export function naiveBill(
  seconds: number,
  prompt: string,
  frame: { width: number; height: number },
  replyChars: number,
): AiBill {
  const model = DEFAULT_MODELS.short;
  const input = estimateTokens(prompt, [frame]);
  const output = Math.ceil(replyChars / 4);
  const price = PRICES[model]!;
  const requests = Math.round(seconds);
  return {
    requests,
    inputTokens: requests * input,
    outputTokens: requests * output,
    usd: (requests * (input * price.input + output * price.output)) / 1e6,
    byModel: { [model]: requests },
  };
}

/**
 * Thinking tokens the fake reports per request, from the thinkingConfig the adapter sent. Assumed figures
 * (Gemini does not publish per-level counts): MINIMAL 0, LOW 400, a thinkingBudget its value; a request
 * without a setting 1000 (Flash's dynamic default, what the adapter asked before issue 13).
 */
export const THINKING_TOKENS = { minimal: 0, low: 400, dynamic: 1000 } as const;

export function thinkingTokensOf(r: Pick<RecordedGeminiRequest, 'generationConfig'>): number {
  const t = r.generationConfig?.thinkingConfig as { thinkingLevel?: string; thinkingBudget?: number } | undefined;
  if (!t) return THINKING_TOKENS.dynamic;
  if (t.thinkingLevel === 'MINIMAL') return THINKING_TOKENS.minimal;
  if (t.thinkingLevel) return THINKING_TOKENS.low;
  return Math.max(0, t.thinkingBudget ?? THINKING_TOKENS.dynamic);
}

export interface StageBill {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  thinkingTokens: number;
  /** With thinking tokens billed at the output rate, as Gemini bills them. */
  usd: number;
  /** The same calls priced without their thinking tokens (what the bench reported before). */
  usdWithoutThinking: number;
  /** At the confirm model's rate after its launch price ends (2027-01-01). */
  usdAfterLaunch: number;
}

const emptyStage = (): StageBill => ({
  requests: 0,
  inputTokens: 0,
  outputTokens: 0,
  thinkingTokens: 0,
  usd: 0,
  usdWithoutThinking: 0,
  usdAfterLaunch: 0,
});

/** The recorded requests per stage (the short model screens, any other confirms), thinking priced in. */
export function stageBills(
  requests: readonly RecordedGeminiRequest[],
  replyChars: number,
  pricer: AiPricer = new AiPricer(DEFAULT_AI_PRICES),
  at: Date = new Date(),
): { screen: StageBill; confirm: StageBill } {
  const out = { screen: emptyStage(), confirm: emptyStage() };
  for (const r of requests) {
    const b = r.model === DEFAULT_MODELS.short ? out.screen : out.confirm;
    const sizes = r.images.map((i) => imageDimensions(i.data) ?? { width: 768, height: 768 });
    const input = estimateTokens(r.prompt, sizes);
    const answer = Math.ceil(replyChars / 4);
    const thinking = thinkingTokensOf(r);
    const usage = (t: number) => ({
      prompt_tokens: input,
      completion_tokens: answer + t,
      total_tokens: input + answer + t,
    });
    b.requests++;
    b.inputTokens += input;
    b.outputTokens += answer + thinking;
    b.thinkingTokens += thinking;
    b.usd += pricer.cost(r.model, usage(thinking), at) ?? 0;
    b.usdWithoutThinking += pricer.cost(r.model, usage(0), at) ?? 0;
    b.usdAfterLaunch += pricer.cost(r.model, usage(thinking), new Date('2027-01-02T00:00:00Z')) ?? 0;
  }
  return out;
}
