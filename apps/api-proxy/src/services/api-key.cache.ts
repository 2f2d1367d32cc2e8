import type { TenantRecord } from './gateway.repository';

/**
 * In-process memo of the API-key lookup (SHA-256 hash → tenant) and of the last `last_used_at` write per
 * key. Every authenticated request used to cost two PostgreSQL round trips before any work (lookup and
 * touch); the benchmark showed the gateway mostly idle waiting on them.
 *
 * Only hits are cached: a refused key goes to PostgreSQL every time, so the failed-auth throttle still sees
 * every wrong key and a key created a moment ago works at once. A revoke/reactivate on this instance
 * invalidates the client's entries at once; other instances keep a revoked key for up to `ttlMs`
 * (SECURITY.md §1). `ttlMs` 0 disables the lookup cache.
 */
export class ApiKeyCache {
  private readonly hits = new Map<string, { tenant: TenantRecord; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly touchEveryMs = 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(keyHash: string): TenantRecord | null {
    const e = this.hits.get(keyHash);
    if (!e) return null;
    if (e.until <= this.now()) {
      this.hits.delete(keyHash);
      return null;
    }
    return e.tenant;
  }

  set(keyHash: string, tenant: TenantRecord): void {
    if (this.ttlMs <= 0) return;
    // Bounded: past the cap the oldest entry goes (Map keeps insertion order).
    if (this.hits.size >= this.maxEntries) this.hits.delete(this.hits.keys().next().value as string);
    this.hits.set(keyHash, { tenant, until: this.now() + this.ttlMs });
  }

  /** Drops every cached key of the client (after its keys were revoked or reactivated). */
  invalidateClient(clientId: string): void {
    for (const [hash, e] of this.hits) if (e.tenant.clientId === clientId) this.hits.delete(hash);
  }

  /** True when `last_used_at` of the key should be written now (at most once per `touchEveryMs`). */
  shouldTouch(apiKeyId: string): boolean {
    const t = this.now();
    const last = this.touched.get(apiKeyId);
    if (last !== undefined && t - last < this.touchEveryMs) return false;
    if (last === undefined && this.touched.size >= this.maxEntries) this.touched.clear();
    this.touched.set(apiKeyId, t);
    return true;
  }
}
