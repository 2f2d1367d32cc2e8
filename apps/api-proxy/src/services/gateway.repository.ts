import pg from 'pg';
import { AppError, ErrorCode, type DailyCounter } from '@vigint/contracts';

/*
 * The gateway's own queries on the tables of prisma/schema.prisma (clients, api_keys, api_usage,
 * usage_daily, artifacts, audit_log). Plain `pg` with bounded timeouts so a database outage is a quick
 * DEPENDENCY_UNAVAILABLE (503), never a hang.
 */

export interface TenantRecord {
  apiKeyId: string;
  keyHash: string;
  clientId: string;
  clientName: string;
  clientEmail: string | null;
  language: string;
}

export interface ArtifactRecord {
  id: string;
  clientId: string;
  kind: string;
  storageKey: string;
  bytes: number;
  sha256: string;
  mime: string;
  filename: string | null;
  expiresAt: string | null;
  createdAt: string;
}

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
  apiKeys: { id: string; isActive: boolean; name: string | null; createdAt: string }[];
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export class GatewayRepository {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 10,
      connectionTimeoutMillis: 2_000,
      query_timeout: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // SQLSTATE classes 08 (connection), 57 (shutdown), 53 (resources) and socket errors: the database is down.
      if (!code || /^(08|57|53)/.test(code) || /^E[A-Z]+$/.test(code)) {
        throw new AppError(ErrorCode.DependencyUnavailable, 'database unavailable', { cause: err });
      }
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.q('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async findActiveKey(keyHash: string): Promise<TenantRecord | null> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT k.id AS key_id, k.key_hash, c.id AS client_id, c.name, c.email, c.language
         FROM api_keys k JOIN clients c ON c.id = k.client_id
        WHERE k.key_hash = $1 AND k.is_active`,
      [keyHash],
    );
    const r = rows[0];
    return r ? toTenant(r) : null;
  }

  /** The built-in client of SECRET_KEY: created on first use, its key row holding the secret's hash. */
  async ensureDefaultClient(keyHash: string, email: string): Promise<TenantRecord> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw new AppError(ErrorCode.DependencyUnavailable, 'database unavailable', { cause: err });
    });
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(784512)');
      let c = (await client.query(`SELECT id FROM clients WHERE name = 'default' ORDER BY id LIMIT 1`)).rows[0] as
        { id: number } | undefined;
      if (!c) {
        c = (
          await client.query(
            `INSERT INTO clients (name, email) VALUES ('default', $1)
             ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
            [email],
          )
        ).rows[0] as { id: number };
      }
      await client.query(
        `INSERT INTO api_keys (key_hash, name, client_id) VALUES ($1, 'secret-key', $2)
         ON CONFLICT (key_hash) DO UPDATE SET is_active = true`,
        [keyHash, c.id],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    const t = await this.findActiveKey(keyHash);
    if (!t) throw new AppError(ErrorCode.Internal, 'default client was not created');
    return t;
  }

  async touchKey(apiKeyId: string): Promise<void> {
    await this.q('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [Number(apiKeyId)]);
  }

  // ----- admin -----

  async listClients(): Promise<ClientWithKeys[]> {
    const clients = await this.q<Record<string, unknown>>(
      'SELECT id, name, email, created_at FROM clients ORDER BY id',
    );
    const keys = await this.q<Record<string, unknown>>(
      'SELECT id, client_id, name, is_active, created_at FROM api_keys ORDER BY id',
    );
    return clients.map((c) => ({
      id: String(c.id),
      name: String(c.name),
      email: (c.email as string | null) ?? null,
      createdAt: iso(c.created_at),
      apiKeys: keys
        .filter((k) => k.client_id === c.id)
        .map((k) => ({
          id: String(k.id),
          isActive: Boolean(k.is_active),
          name: (k.name as string) ?? null,
          createdAt: iso(k.created_at),
        })),
    }));
  }

  async createClient(
    name: string,
    email: string,
    language: string,
    keyHash: string,
  ): Promise<{ clientId: string; apiKeyId: string }> {
    try {
      const c = await this.q<{ id: number }>(
        'INSERT INTO clients (name, email, language) VALUES ($1, $2, $3) RETURNING id',
        [name, email, language],
      );
      const k = await this.q<{ id: number }>(
        `INSERT INTO api_keys (key_hash, name, client_id) VALUES ($1, 'default', $2) RETURNING id`,
        [keyHash, c[0]!.id],
      );
      return { clientId: String(c[0]!.id), apiKeyId: String(k[0]!.id) };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new AppError(ErrorCode.Conflict, 'a client with this e-mail already exists', { field: 'email' });
      }
      throw err;
    }
  }

  async getClient(clientId: string): Promise<{ id: string; name: string } | null> {
    if (!/^\d{1,12}$/.test(clientId)) return null;
    const r = (
      await this.q<{ id: number; name: string }>('SELECT id, name FROM clients WHERE id = $1', [Number(clientId)])
    )[0];
    return r ? { id: String(r.id), name: r.name } : null;
  }

  /** Sets every key of a client active or not; returns how many changed. */
  async setKeysActive(clientId: string, active: boolean): Promise<number> {
    const rows = await this.q(
      `UPDATE api_keys SET is_active = $2, revoked_at = CASE WHEN $2 THEN NULL ELSE now() END
        WHERE client_id = $1 AND is_active <> $2 RETURNING id`,
      [Number(clientId), active],
    );
    return rows.length;
  }

  // ----- artifacts -----

  async createArtifact(a: Omit<ArtifactRecord, 'id' | 'createdAt'>): Promise<ArtifactRecord> {
    const rows = await this.q<Record<string, unknown>>(
      `INSERT INTO artifacts (client_id, kind, storage_key, bytes, sha256, mime, filename, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [Number(a.clientId), a.kind, a.storageKey, a.bytes, a.sha256, a.mime, a.filename, a.expiresAt],
    );
    return toArtifact(rows[0]!);
  }

  /** The artifact when it belongs to the client and has not expired; null otherwise (answered as 404). */
  async findArtifact(id: string, clientId: string | null): Promise<ArtifactRecord | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const rows = await this.q<Record<string, unknown>>(
      `SELECT * FROM artifacts WHERE id = $1 AND ($2::int IS NULL OR client_id = $2::int)
          AND (expires_at IS NULL OR expires_at > now())`,
      [id, clientId === null ? null : Number(clientId)],
    );
    return rows[0] ? toArtifact(rows[0]) : null;
  }

  async artifactStats(clientId: string): Promise<{ count: number; totalBytes: number }> {
    const r = (
      await this.q<{ n: string; b: string | null }>(
        'SELECT count(*) AS n, sum(bytes) AS b FROM artifacts WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > now())',
        [Number(clientId)],
      )
    )[0];
    return { count: Number(r?.n ?? 0), totalBytes: Number(r?.b ?? 0) };
  }

  // ----- usage and audit -----

  async recordUsage(u: UsageCall): Promise<void> {
    const keyId = Number(u.apiKeyId);
    await this.q(
      `INSERT INTO api_usage (api_key_id, endpoint, method, status_code, cost, input_tokens, output_tokens)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [keyId, u.endpoint, u.method, u.statusCode, u.cost, u.inputTokens, u.outputTokens],
    );
    await this.q(
      `INSERT INTO usage_daily (api_key_id, day, endpoint, calls, ai_requests, input_tokens, output_tokens, bytes_in, bytes_out, alerts_sent)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, 1, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (api_key_id, day, endpoint) DO UPDATE SET
         calls = usage_daily.calls + 1,
         ai_requests = usage_daily.ai_requests + EXCLUDED.ai_requests,
         input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
         bytes_in = usage_daily.bytes_in + EXCLUDED.bytes_in,
         bytes_out = usage_daily.bytes_out + EXCLUDED.bytes_out,
         alerts_sent = usage_daily.alerts_sent + EXCLUDED.alerts_sent`,
      [keyId, u.endpoint, u.aiRequests, u.inputTokens, u.outputTokens, u.bytesIn, u.bytesOut, u.alertsSent],
    );
  }

  async recentUsage(apiKeyId: string, limit = 100) {
    const rows = await this.q<Record<string, unknown>>(
      'SELECT timestamp, endpoint, method, status_code, cost FROM api_usage WHERE api_key_id = $1 ORDER BY timestamp DESC, id DESC LIMIT $2',
      [Number(apiKeyId), limit],
    );
    const count = await this.q<{ n: string }>('SELECT count(*) AS n FROM api_usage WHERE api_key_id = $1', [
      Number(apiKeyId),
    ]);
    return {
      count: Number(count[0]?.n ?? 0),
      rows: rows.map((r) => ({
        timestamp: iso(r.timestamp),
        endpoint: String(r.endpoint),
        method: String(r.method),
        status_code: Number(r.status_code),
        cost: Number(r.cost),
      })),
    };
  }

  /** Per-day, per-endpoint counters of every key of the client, the last `days` days, newest first. */
  async dailyCounters(clientId: string, days = 30): Promise<DailyCounter[]> {
    const rows = await this.q<Record<string, unknown>>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.endpoint,
              sum(d.calls) AS calls, sum(d.ai_requests) AS ai, sum(d.input_tokens + d.output_tokens) AS tokens,
              sum(d.bytes_in) AS bin, sum(d.bytes_out) AS bout, sum(d.alerts_sent) AS alerts,
              coalesce((SELECT sum(u.cost) FROM api_usage u JOIN api_keys k2 ON k2.id = u.api_key_id
                         WHERE k2.client_id = $1 AND u.endpoint = d.endpoint
                           AND (u.timestamp AT TIME ZONE 'UTC')::date = d.day), 0) AS cost
         FROM usage_daily d JOIN api_keys k ON k.id = d.api_key_id
        WHERE k.client_id = $1 AND d.day >= (now() AT TIME ZONE 'UTC')::date - $2::int
        GROUP BY d.day, d.endpoint ORDER BY d.day DESC, d.endpoint`,
      [Number(clientId), days],
    );
    return rows.map((r) => ({
      day: String(r.day),
      endpoint: String(r.endpoint),
      requests: Number(r.calls),
      bytes_in: Number(r.bin),
      bytes_out: Number(r.bout),
      ai_requests: Number(r.ai),
      ai_tokens: Number(r.tokens),
      alerts: Number(r.alerts),
      cost: Number(r.cost),
    }));
  }

  async audit(entry: {
    clientId: string | null;
    apiKeyId: string | null;
    action: string;
    target: string;
    ip: string | null;
  }): Promise<void> {
    await this.q('INSERT INTO audit_log (client_id, api_key_id, action, target, ip) VALUES ($1, $2, $3, $4, $5)', [
      entry.clientId === null ? null : Number(entry.clientId),
      entry.apiKeyId === null ? null : Number(entry.apiKeyId),
      entry.action,
      entry.target,
      entry.ip,
    ]);
  }
}

function toTenant(r: Record<string, unknown>): TenantRecord {
  return {
    apiKeyId: String(r.key_id),
    keyHash: String(r.key_hash),
    clientId: String(r.client_id),
    clientName: String(r.name),
    clientEmail: (r.email as string | null) ?? null,
    language: String(r.language ?? 'en'),
  };
}

function toArtifact(r: Record<string, unknown>): ArtifactRecord {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    kind: String(r.kind),
    storageKey: String(r.storage_key),
    bytes: Number(r.bytes),
    sha256: String(r.sha256),
    mime: String(r.mime),
    filename: (r.filename as string | null) ?? null,
    expiresAt: r.expires_at ? iso(r.expires_at) : null,
    createdAt: iso(r.created_at),
  };
}
