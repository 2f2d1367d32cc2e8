import { DEFAULT_AI_PRICES, DEFAULT_MODELS } from '@vigint/alerting';
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
