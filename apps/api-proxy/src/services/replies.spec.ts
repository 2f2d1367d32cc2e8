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
  it("keeps the client's language from POST /admin/clients over the agent's camera default", () => {
    expect(languageOf(tenant('fr'), 'en')).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant('en'), 'fr')).toBe(AlertLanguage.En);
  });

  it("uses the request's language only for a client stored without one", () => {
    expect(languageOf(tenant(''), 'fr')).toBe(AlertLanguage.Fr);
    expect(languageOf(tenant(''), null)).toBe(AlertLanguage.En);
  });
});
