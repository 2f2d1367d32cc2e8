/** A client's digest setting as stored (console settings): zone, local hour, the last local day sent. */
export interface DigestScheduleEntry {
  clientId: string;
  timeZone: string;
  digestHour: number;
  lastDigestDay: string | null;
}

/** The local calendar day (YYYY-MM-DD) and hour (0-23) of `now` in `timeZone`. */
export function localDayHour(now: Date, timeZone: string): { day: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: `${get('year')}-${get('month')}-${get('day')}`, hour: Number(get('hour')) };
}

/**
 * The local day whose digest is due at `now`, or null: once the client's chosen local hour has come, and only
 * if that day's digest has not gone yet (a late run the same day still sends it; the next day starts afresh).
 * A zone the runtime does not know counts as UTC rather than silencing the client.
 */
export function digestDue(entry: DigestScheduleEntry, now: Date): string | null {
  let local: { day: string; hour: number };
  try {
    local = localDayHour(now, entry.timeZone);
  } catch {
    local = localDayHour(now, 'UTC');
  }
  if (local.hour < entry.digestHour) return null;
  if (entry.lastDigestDay && entry.lastDigestDay >= local.day) return null;
  return local.day;
}
