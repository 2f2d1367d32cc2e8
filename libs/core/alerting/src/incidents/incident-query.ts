import {
  decodeIncidentCursor,
  encodeIncidentCursor,
  riskAtLeast,
  type IncidentListQuery,
  type IncidentRecord,
} from '@vigint/contracts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(query: IncidentListQuery): number {
  return Math.min(Math.max(Number(query.limit ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/** Newest first, ties by id descending: the order both stores page in. */
export function compareIncidents(a: IncidentRecord, b: IncidentRecord): number {
  const t = Date.parse(b.startedAt) - Date.parse(a.startedAt);
  return t !== 0 ? t : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The filter of a list query, for stores that filter in memory (the file store). */
export function incidentMatches(query: IncidentListQuery, now: Date): (r: IncidentRecord) => boolean {
  const from = query.from ? Date.parse(query.from) : undefined;
  const to = query.to ? Date.parse(query.to) : undefined;
  const after = query.cursor ? decodeIncidentCursor(query.cursor) : undefined;
  return (r) => {
    const started = Date.parse(r.startedAt);
    if (Date.parse(r.expiresAt) <= now.getTime()) return false;
    if (query.camera && r.cameraId !== query.camera) return false;
    if (query.risk && !riskAtLeast(r.riskLevel, query.risk)) return false;
    if (query.status && r.status !== query.status) return false;
    if (from !== undefined && started < from) return false;
    if (to !== undefined && started > to) return false;
    if (after) {
      const at = Date.parse(after.startedAt);
      if (started > at || (started === at && r.id >= after.id)) return false;
    }
    return true;
  };
}

/** Cuts a sorted, filtered list into one page. */
export function toPage<T extends IncidentRecord>(
  sorted: T[],
  limit: number,
): { incidents: T[]; nextCursor: string | null } {
  const incidents = sorted.slice(0, limit);
  const last = incidents[incidents.length - 1];
  return {
    incidents,
    nextCursor: sorted.length > limit && last ? encodeIncidentCursor({ startedAt: last.startedAt, id: last.id }) : null,
  };
}

/** Start of today (UTC): `incidentsToday` counts from here. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
