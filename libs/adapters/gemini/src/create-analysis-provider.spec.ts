import { describe, expect, it } from 'vitest';
import { createAnalysisProvider, resolveGeminiModels } from './create-analysis-provider';

describe('resolveGeminiModels', () => {
  it('uses the specific models, then GEMINI_MODEL, then the defaults', () => {
    expect(resolveGeminiModels({})).toEqual({ short: 'gemini-2.5-flash-lite', long: 'gemini-2.5-flash' });
    expect(resolveGeminiModels({ GEMINI_MODEL: 'm' })).toEqual({ short: 'm', long: 'm' });
    expect(resolveGeminiModels({ GEMINI_MODEL: 'm', GEMINI_MODEL_LONG: 'l' })).toEqual({ short: 'm', long: 'l' });
  });
});

describe('createAnalysisProvider', () => {
  it('gives no provider without GOOGLE_API_KEY, Gemini with one', () => {
    expect(createAnalysisProvider({})).toBeUndefined();
    expect(createAnalysisProvider({ GOOGLE_API_KEY: 'k' })?.name).toBe('gemini');
  });
});
