import { AlertLanguage, type DailyCounter } from '@vigint/contracts';
import { createDb, type ArtifactRecord as DbArtifactRecord, type Db } from '@vigint/db';
import type { Logger } from '@vigint/logger';

/*
 * What the gateway needs from PostgreSQL, over the db adapter's repositories (@vigint/db): tenants and
 * keys, artifacts, usage and audit, mapped to the small records the routes use. The adapter maps an
 * unreachable database to DEPENDENCY_UNAVAILABLE (503).
 */
export interface TenantRecord {
  apiKeyId: string;
  keyHash: string;
  clientId: string;
  clientName: string;
  clientEmail: string | null;
  language: string;
}

/** The db adapter's artifact row with its dates as ISO strings, as the routes send them. */
export type ArtifactRecord = Omit<DbArtifactRecord, 'expiresAt' | 'createdAt'> & {
  expiresAt: string | null;
  createdAt: string;
};

export interface UsageCall {
  apiKeyId: string;
  endpoint: string;
  method: string;
  statusCode: number;
  cost: number;
  inputTokens: number;
  outputTokens: number;
  bytesIn: number;
  bytesOut: number;
  aiRequests: number;
  alertsSent: number;
}

export interface ClientWithKeys {
  id: string;
  name: string;
  email: string | null;
  createdAt: string;
  apiKeys: { id: string; isActive: boolean; name: string | null; createdAt: string; revoked: boolean }[];
}

const iso = (v: Date | string | null | undefined): string => (v instanceof Date ? v.toISOString() : String(v ?? ''));

export class GatewayRepository {
  readonly db: Db;

  constructor(databaseUrl: string, log?: Logger) {
    this.db = createDb(databaseUrl, log);
  }

  async ping(): Promise<void> {
    await this.db.ping();
  }

  /** Waits for usage writes still in flight (the reply went out before them), then closes the pool. */
  async close(): Promise<void> {
    while (this.usageWrites.size > 0) await Promise.allSettled([...this.usageWrites]);
    await this.db.close();
  }

  async findActiveKey(keyHash: string): Promise<TenantRecord | null> {
    const found = await this.db.apiKeys.findActiveByHash(keyHash);
    if (!found) return null;
    return {
      apiKeyId: found.key.id,
      keyHash,
      clientId: found.client.id,
      clientName: found.client.name,
      clientEmail: found.client.email || null,
      language: found.client.language,
    };
  }

  /**
   * The built-in client of SECRET_KEY (the earlier installs' shared key): its own client, created on first
   * use with the key row holding the secret's hash (so usage rows have a key), never an existing client.
   * Revoking that key through the admin routes disables SECRET_KEY as an API key for good.
   */
  async ensureSecretKeyClient(keyHash: string): Promise<TenantRecord | null> {
    await this.db.apiKeys.ensureBuiltIn(keyHash, 'default (SECRET_KEY)', 'secret-key');
    return this.findActiveKey(keyHash);
  }

  async touchKey(apiKeyId: string): Promise<void> {
    await this.db.apiKeys.touchLastUsed(apiKeyId);
  }

  // ----- admin -----

  async listClients(): Promise<ClientWithKeys[]> {
    const clients = await this.db.clients.listWithKeys();
    return clients.map((c) => ({
      id: c.id,
      name: c.name,
      email: c.email,
      createdAt: iso(c.createdAt),
      apiKeys: c.apiKeys.map((k) => ({
        id: k.id,
        isActive: k.isActive,
        name: k.name,
        createdAt: iso(k.createdAt),
        revoked: k.revokeReason === 'key',
      })),
    }));
  }

  /** A client and its first key; the plaintext key is returned once (only its SHA-256 is stored). */
  async createClient(
    name: string,
    email: string,
    language: string,
  ): Promise<{ clientId: string; apiKeyId: string; apiKey: string; email: string }> {
    const created = await this.db.clients.create({
      name,
      email,
      language: language === AlertLanguage.Fr ? AlertLanguage.Fr : AlertLanguage.En,
    });
    return {
      clientId: created.client.id,
      apiKeyId: created.apiKey.id,
      apiKey: created.plaintextKey,
      email: created.client.email,
    };
  }

  async getClient(clientId: string): Promise<{ id: string; name: string } | null> {
    const c = await this.db.clients.findById(clientId);
    return c ? { id: c.id, name: c.name } : null;
  }

  /** A new key for the client; the plaintext is returned once. */
  async issueKey(clientId: string, name?: string): Promise<{ apiKeyId: string; apiKey: string }> {
    const { apiKey, plaintextKey } = await this.db.apiKeys.create(clientId, name ? { name } : {});
    return { apiKeyId: apiKey.id, apiKey: plaintextKey };
  }

  /** Revokes one key of the client for good; false when it has no such (unrevoked) key. */
  async revokeKey(clientId: string, apiKeyId: string): Promise<boolean> {
    return this.db.apiKeys.revokeOne(clientId, apiKeyId);
  }

  async findKey(clientId: string, apiKeyId: string) {
    return this.db.apiKeys.findForClient(clientId, apiKeyId);
  }

  /**
   * Disables (`active` false) every key of a client with the client, or re-enables the keys that were
   * disabled so — never a key revoked on its own; returns how many changed.
   */
  async setKeysActive(clientId: string, active: boolean): Promise<number> {
    return active ? this.db.apiKeys.reactivateAllForClient(clientId) : this.db.apiKeys.revokeAllForClient(clientId);
  }

  // ----- artifacts -----

  async createArtifact(a: Omit<ArtifactRecord, 'id' | 'createdAt'>): Promise<ArtifactRecord> {
    const row = await this.db.artifacts.create({ ...a, expiresAt: a.expiresAt ? new Date(a.expiresAt) : null });
    return toArtifact(row);
  }

  /** The artifact when it belongs to the client (null: any client, for HMAC-signed links) and has not expired. */
  async findArtifact(id: string, clientId: string | null): Promise<ArtifactRecord | null> {
    const row =
      clientId === null ? await this.db.artifacts.findById(id) : await this.db.artifacts.findForClient(clientId, id);
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return null;
    return toArtifact(row);
  }

  async artifactStats(clientId: string): Promise<{ count: number; totalBytes: number }> {
    const s = await this.db.artifacts.statsForClient(clientId);
    return { count: s.count, totalBytes: s.bytes };
  }

  // ----- usage and audit -----

  /** Usage is written after the reply (onResponse): tracked so that shutdown does not cut it off. */
  private readonly usageWrites = new Set<Promise<void>>();

  async recordUsage(u: UsageCall): Promise<void> {
    const write = this.db.usage.recordCall(u).then(() => undefined);
    this.usageWrites.add(write);
    try {
      await write;
    } finally {
      this.usageWrites.delete(write);
    }
  }

  async recentUsage(apiKeyId: string, limit = 100) {
    const [rows, count] = await Promise.all([
      this.db.usage.recentCalls(apiKeyId, limit),
      this.db.usage.countCalls(apiKeyId),
    ]);
    return {
      count,
      rows: rows.map((r) => ({
        timestamp: iso(r.timestamp),
        endpoint: r.endpoint,
        method: r.method,
        status_code: r.statusCode,
        cost: r.cost,
      })),
    };
  }

  /**
   * Per-day, per-endpoint counters of every key of the client, newest first. The daily rows carry no cost:
   * it is summed from the per-call rows of the same day (the last COST_ROWS calls per key).
   */
  async dailyCounters(clientId: string, days = 30): Promise<DailyCounter[]> {
    const COST_ROWS = 5_000;
    const keys = await this.db.apiKeys.listForClient(clientId);
    const merged = new Map<string, DailyCounter>();
    for (const k of keys) {
      const [daily, calls] = await Promise.all([
        this.db.usage.daily(k.id, days),
        this.db.usage.recentCalls(k.id, COST_ROWS),
      ]);
      const cost = new Map<string, number>();
      for (const c of calls) {
        const key = `${c.timestamp.toISOString().slice(0, 10)}|${c.endpoint}`;
        cost.set(key, (cost.get(key) ?? 0) + c.cost);
      }
      for (const d of daily) {
        const key = `${d.day}|${d.endpoint}`;
        const m = merged.get(key) ?? {
          day: d.day,
          endpoint: d.endpoint,
          requests: 0,
          bytes_in: 0,
          bytes_out: 0,
          ai_requests: 0,
          ai_tokens: 0,
          alerts: 0,
          cost: 0,
        };
        m.requests += d.calls;
        m.bytes_in += d.bytesIn;
        m.bytes_out += d.bytesOut;
        m.ai_requests += d.aiRequests;
        m.ai_tokens += d.inputTokens + d.outputTokens;
        m.alerts += d.alertsSent;
        m.cost += cost.get(key) ?? 0;
        merged.set(key, m);
      }
    }
    return [...merged.values()].sort((a, b) =>
      a.day === b.day ? a.endpoint.localeCompare(b.endpoint) : b.day.localeCompare(a.day),
    );
  }

  async audit(entry: {
    clientId: string | null;
    apiKeyId: string | null;
    action: string;
    target: string;
    ip: string | null;
  }): Promise<void> {
    await this.db.audit.log(entry);
  }
}

function toArtifact(r: DbArtifactRecord): ArtifactRecord {
  return { ...r, expiresAt: r.expiresAt ? iso(r.expiresAt) : null, createdAt: iso(r.createdAt) };
}
