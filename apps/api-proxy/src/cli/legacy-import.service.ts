import pg from 'pg';

export interface LegacyImportResult {
  clients: { imported: number; existing: number };
  apiKeys: { imported: number; existing: number };
  usageRows: number;
}

type Row = Record<string, unknown>;

const pick = (r: Row, ...names: string[]): unknown => {
  for (const n of names) if (r[n] !== undefined && r[n] !== null) return r[n];
  return undefined;
};
/**
 * Whether an earlier key row was active. Only a clear yes is active (true, 1, 't', 'true', 'yes', 'on'):
 * NULL, false, 0, 'f', 'false' or anything else stays inactive, so a revoked key never comes back on import.
 * A schema without the column at all had only live keys.
 */
export function legacyKeyActive(row: Row): boolean {
  const name = ['is_active', 'active'].find((n) => n in row);
  if (name === undefined) return true;
  const v = row[name];
  if (v === true) return true;
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v) === 1;
  if (typeof v === 'string') return ['1', 't', 'true', 'y', 'yes', 'on'].includes(v.trim().toLowerCase());
  return false;
}

/** The earlier routes read with GET; every other call was a POST. Used when a usage row has no method. */
const GET_ROUTES = [
  /^\/api\/health$/,
  /^\/api\/storage\/status$/,
  /^\/api\/usage$/,
  /^\/api\/video\/download\//,
  /^\/video\//,
];
export function legacyMethod(endpoint: string, method: unknown): string {
  const m = typeof method === 'string' ? method.trim().toUpperCase() : '';
  if (/^(GET|POST|PUT|PATCH|DELETE)$/.test(m)) return m;
  return GET_ROUTES.some((r) => r.test(endpoint.split('?')[0] ?? '')) ? 'GET' : 'POST';
}
const asDate = (v: unknown): Date | null => (v instanceof Date ? v : v ? new Date(String(v)) : null);

/**
 * Copies the earlier system's `clients`, `api_keys` (already SHA-256 hex) and `api_usage` into Vigint's
 * tables, so existing keys keep working. Idempotent: clients are matched by e-mail, keys by hash, and usage
 * rows are copied only for keys this run inserted. Column names are read leniently (the earlier schema
 * varied between versions); the target is written in one transaction.
 */
export async function importLegacyDatabase(
  sourceUrl: string,
  targetUrl: string,
  log: (msg: string) => void = () => undefined,
): Promise<LegacyImportResult> {
  const src = new pg.Client({ connectionString: sourceUrl });
  const dst = new pg.Client({ connectionString: targetUrl });
  await src.connect();
  await dst.connect();
  const result: LegacyImportResult = {
    clients: { imported: 0, existing: 0 },
    apiKeys: { imported: 0, existing: 0 },
    usageRows: 0,
  };
  try {
    const clients = (await src.query('SELECT * FROM clients ORDER BY id')).rows as Row[];
    const keys = (await src.query('SELECT * FROM api_keys ORDER BY id')).rows as Row[];
    const hasUsage = (await src.query(`SELECT to_regclass('api_usage') AS t`)).rows[0]?.t;
    await dst.query('BEGIN');
    const clientMap = new Map<string, number>();
    for (const c of clients) {
      const oldId = String(c.id);
      const email = String(pick(c, 'email', 'contact_email') ?? `legacy-client-${oldId}@vigint.local`)
        .trim()
        .toLowerCase();
      const found = (await dst.query('SELECT id FROM clients WHERE lower(email) = $1', [email])).rows[0] as
        { id: number } | undefined;
      if (found) {
        clientMap.set(oldId, found.id);
        result.clients.existing += 1;
        continue;
      }
      const lang = String(pick(c, 'language', 'lang') ?? 'fr').slice(0, 2) === 'en' ? 'en' : 'fr';
      const ins = await dst.query(
        'INSERT INTO clients (name, email, language, created_at) VALUES ($1, $2, $3, COALESCE($4, now())) RETURNING id',
        [String(pick(c, 'name', 'client_name') ?? `client ${oldId}`), email, lang, asDate(pick(c, 'created_at'))],
      );
      clientMap.set(oldId, (ins.rows[0] as { id: number }).id);
      result.clients.imported += 1;
    }
    const newKeys = new Map<string, number>();
    for (const k of keys) {
      const hash = String(pick(k, 'key_hash', 'api_key_hash') ?? '').toLowerCase();
      const clientId = clientMap.get(String(k.client_id));
      if (!/^[0-9a-f]{64}$/.test(hash) || clientId === undefined) {
        log(`skipping api_keys row ${String(k.id)}: no SHA-256 hash or unknown client`);
        continue;
      }
      const ins = await dst.query(
        `INSERT INTO api_keys (key_hash, name, is_active, client_id, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, COALESCE($5, now()), $6) ON CONFLICT (key_hash) DO NOTHING RETURNING id`,
        [
          hash,
          String(pick(k, 'name') ?? 'imported'),
          legacyKeyActive(k),
          clientId,
          asDate(pick(k, 'created_at')),
          asDate(pick(k, 'last_used', 'last_used_at')),
        ],
      );
      if (ins.rows[0]) {
        newKeys.set(String(k.id), (ins.rows[0] as { id: number }).id);
        result.apiKeys.imported += 1;
      } else result.apiKeys.existing += 1;
    }
    if (hasUsage && newKeys.size > 0) {
      const cursor = (await src.query('SELECT * FROM api_usage ORDER BY id')).rows as Row[];
      for (const u of cursor) {
        const keyId = newKeys.get(String(u.api_key_id));
        if (keyId === undefined) continue;
        await dst.query(
          `INSERT INTO api_usage (api_key_id, endpoint, method, status_code, cost, input_tokens, output_tokens, timestamp)
           VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))`,
          [
            keyId,
            String(pick(u, 'endpoint') ?? ''),
            legacyMethod(String(pick(u, 'endpoint') ?? ''), pick(u, 'method')),
            Number(pick(u, 'status_code') ?? 200),
            Number(pick(u, 'cost') ?? 0),
            Number(pick(u, 'input_tokens', 'prompt_tokens') ?? 0),
            Number(pick(u, 'output_tokens', 'completion_tokens') ?? 0),
            asDate(pick(u, 'timestamp', 'created_at')),
          ],
        );
        result.usageRows += 1;
      }
      // The per-day totals GET /api/usage reads: built from the rows just copied (only this run's keys).
      await dst.query(
        `INSERT INTO usage_daily (api_key_id, day, endpoint, calls, ai_requests, input_tokens, output_tokens, alerts_sent)
         SELECT api_key_id, (timestamp AT TIME ZONE 'UTC')::date, endpoint, count(*),
                count(*) FILTER (WHERE endpoint LIKE '%/analyze'), sum(input_tokens), sum(output_tokens),
                count(*) FILTER (WHERE endpoint LIKE '%/alert' AND status_code < 300)
         FROM api_usage WHERE api_key_id = ANY($1::int[])
         GROUP BY api_key_id, (timestamp AT TIME ZONE 'UTC')::date, endpoint
         ON CONFLICT (api_key_id, day, endpoint) DO UPDATE SET
           calls = usage_daily.calls + EXCLUDED.calls,
           ai_requests = usage_daily.ai_requests + EXCLUDED.ai_requests,
           input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens,
           output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
           alerts_sent = usage_daily.alerts_sent + EXCLUDED.alerts_sent`,
        [[...newKeys.values()]],
      );
    }
    await dst.query('COMMIT');
    return result;
  } catch (err) {
    await dst.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await src.end();
    await dst.end();
  }
}
