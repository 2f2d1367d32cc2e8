import { describe, expect, it } from 'vitest';
import { AlertLanguage } from '@vigint/contracts';
import { languageOf } from './replies';
import type { TenantRecord } from './gateway.repository';

const tenant = (language: string): TenantRecord => ({
  apiKeyId: '1',
  keyHash: 'h',
  clientId: '1',
  clientName: 'shop',
  clientEmail: 'shop@example.com',
  language,
});

describe('languageOf', () => {
  it("uses a camera's own language (sent only when the agent's config sets one) over the client's", () => {
    expect(languageOf(tenant('en'), 'fr')).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant('fr'), 'en')).toBe(AlertLanguage.En);
  });

  it("uses the client's language when the request has none, else English", () => {
    expect(languageOf(tenant('fr'), null)).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant('fr'), undefined)).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant(''), 'fr')).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant(''), null)).toBe(AlertLanguage.En);
  });
});
