import { describe, expect, it } from 'vitest';
import { ApiKeyCache } from './api-key.cache';
import type { TenantRecord } from './gateway.repository';

const tenant = (clientId: string, apiKeyId = `k-${clientId}`): TenantRecord => ({
  apiKeyId,
  keyHash: `h-${apiKeyId}`,
  clientId,
  clientName: clientId,
  clientEmail: null,
  language: 'en',
});

describe('ApiKeyCache', () => {
  it('returns a cached tenant until the TTL ends', () => {
    let now = 1_000;
    const c = new ApiKeyCache(5_000, 60_000, 100, () => now);
    c.set('h1', tenant('c1'));
    expect(c.get('h1')?.clientId).toBe('c1');
    now += 4_999;
    expect(c.get('h1')?.clientId).toBe('c1');
    now += 1;
    expect(c.get('h1')).toBeNull();
  });

  it('caches nothing with a TTL of 0', () => {
    const c = new ApiKeyCache(0);
    c.set('h1', tenant('c1'));
    expect(c.get('h1')).toBeNull();
  });

  it('drops only the entries of an invalidated client', () => {
    const c = new ApiKeyCache(5_000);
    c.set('h1', tenant('c1'));
    c.set('h2', tenant('c2'));
    c.invalidateClient('c1');
    expect(c.get('h1')).toBeNull();
    expect(c.get('h2')?.clientId).toBe('c2');
  });

  it('keeps at most maxEntries keys', () => {
    const c = new ApiKeyCache(5_000, 60_000, 2);
    c.set('h1', tenant('c1'));
    c.set('h2', tenant('c2'));
    c.set('h3', tenant('c3'));
    expect(c.get('h1')).toBeNull();
    expect(c.get('h3')?.clientId).toBe('c3');
  });

  it('allows one touch per key per interval', () => {
    let now = 0;
    const c = new ApiKeyCache(5_000, 60_000, 100, () => now);
    expect(c.shouldTouch('k1')).toBe(true);
    expect(c.shouldTouch('k1')).toBe(false);
    expect(c.shouldTouch('k2')).toBe(true);
    now += 60_000;
    expect(c.shouldTouch('k1')).toBe(true);
  });
});
