// Ids arrive as strings from HTTP paths and job payloads. A malformed id is "not found", never a
// database error, so tenant-scoped lookups of garbage answer null like any other unknown id.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Integer id (clients, api_keys) from its string form; undefined when it is not one. */
export function parseIntId(id: string | number): number | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? id : undefined;
  if (!/^[0-9]{1,10}$/.test(id)) return undefined;
  const n = Number(id);
  return n > 0 && n <= 2_147_483_647 ? n : undefined;
}

export function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

/** Parses an integer id or throws a plain Error (for writes where a bad id is a programming error). */
export function requireIntId(id: string | number, what: string): number {
  const n = parseIntId(id);
  if (n === undefined) throw new Error(`invalid ${what} id: ${String(id)}`);
  return n;
}
