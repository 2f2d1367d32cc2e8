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
          pick(k, 'is_active', 'active') !== false,
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
            String(pick(u, 'method') ?? 'POST'),
            Number(pick(u, 'status_code') ?? 200),
            Number(pick(u, 'cost') ?? 0),
            Number(pick(u, 'input_tokens', 'prompt_tokens') ?? 0),
            Number(pick(u, 'output_tokens', 'completion_tokens') ?? 0),
            asDate(pick(u, 'timestamp', 'created_at')),
          ],
        );
        result.usageRows += 1;
      }
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
