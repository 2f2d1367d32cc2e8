import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, RISK_ORDER, RiskLevel } from '@vigint/contracts';
import { storesOf, type ConsoleCamera, type ConsoleIncident, type ConsoleVerdict } from './console-data';
import type { ConsoleMessages } from './console-messages';
import { formatTime, validTimeZone } from './console-view';

export const RISKS = RISK_ORDER.filter((r) => r !== RiskLevel.None);

const TYPE_LABELS: Record<string, Record<string, string>> = {
  en: {
    theft: 'Theft',
    intrusion: 'Intrusion',
    violence: 'Violence',
    fall: 'Fall',
    vandalism: 'Vandalism',
    fire_smoke: 'Fire or smoke',
    other: 'Incident',
    none: 'No incident',
  },
  fr: {
    theft: 'Vol',
    intrusion: 'Intrusion',
    violence: 'Violence',
    fall: 'Chute',
    vandalism: 'Vandalisme',
    fire_smoke: 'Feu ou fumée',
    other: 'Incident',
    none: 'Aucun incident',
  },
};
export const typeLabel = (t: ConsoleMessages, type: string) => TYPE_LABELS[t.lang]?.[type] ?? type;

/** Offset of `timeZone` from UTC at instant `t`, in ms. */
function zoneOffsetMs(timeZone: string, t: number): number {
  const p = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const n = (k: string) => Number(p.find((x) => x.type === k)?.value ?? 0);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - t;
}

/** The instant local midnight of `day` (YYYY-MM-DD) happens in `timeZone`. */
export function zonedMidnight(day: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d);
  const first = guess - zoneOffsetMs(timeZone, guess);
  return new Date(guess - zoneOffsetMs(timeZone, first));
}

export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export async function timeZoneOf(app: FastifyInstance, clientId: string): Promise<string> {
  const s = await app.svc.repo.db.consoleSettings.get(clientId);
  return validTimeZone(s.timeZone) ? s.timeZone : 'UTC';
}

function deliveryLabel(t: ConsoleMessages, i: ConsoleIncident): string {
  if (i.deliveries.length === 0) return t.delivery.none ?? '—';
  const latest = new Map<string, string>();
  for (const d of i.deliveries) latest.set(d.channel, d.status);
  return [...latest.entries()].map(([c, s]) => `${c}: ${t.delivery[s] ?? s}`).join(' · ');
}

function verdictOf(v: ConsoleVerdict | null | undefined): ConsoleVerdict | null {
  if (!v) return null;
  const r = v as ConsoleVerdict & Record<string, unknown>;
  return {
    model: r.model ?? null,
    riskLevel: r.riskLevel ?? (r.risk_level as string | undefined) ?? null,
    incidentType: r.incidentType ?? null,
    analysis: r.analysis ?? r.description ?? null,
    vetoed: !!r.vetoed,
    vetoReason: r.vetoReason ?? null,
  };
}

/** What a page shows of an incident: labels in the client's language and zone, same-origin media URLs. */
export function incidentView(t: ConsoleMessages, i: ConsoleIncident, tz: string, mediaBase: string) {
  return {
    ...i,
    typeLabel: typeLabel(t, i.incidentType),
    timeLabel: formatTime(t, i.startedAt, tz),
    endedLabel: i.endedAt ? formatTime(t, i.endedAt, tz) : '',
    acknowledgedLabel: i.acknowledgedAt ? formatTime(t, i.acknowledgedAt, tz) : '',
    deliveryLabel: deliveryLabel(t, i),
    thumbnailUrl: i.thumbnailArtifactId ? `${mediaBase}/thumbnail` : null,
    clipUrl: i.clipArtifactId ? `${mediaBase}/clip` : null,
    screen: verdictOf(i.screen),
    confirm: verdictOf(i.confirm),
    deliveries: i.deliveries.map((d) => ({
      ...d,
      timeLabel: formatTime(t, d.at, tz),
      statusLabel: t.delivery[d.status] ?? d.status,
    })),
  };
}

export function cameraView(t: ConsoleMessages, c: ConsoleCamera, tz: string, now: Date) {
  const stateKey = ['live', 'reconnecting', 'connecting'].includes(c.state)
    ? c.state
    : c.state === 'failed' || c.state === 'offline'
      ? 'offline'
      : c.state || 'unknown';
  const snoozed = c.snoozedUntil && Date.parse(c.snoozedUntil) > now.getTime() ? c.snoozedUntil : null;
  return {
    ...c,
    stateKey,
    stateLabel: t.cameras.states[stateKey] ?? c.state,
    lastFrameLabel: c.lastFrameAt ? formatTime(t, c.lastFrameAt, tz) : t.cameras.never,
    snoozedLabel: snoozed ? formatTime(t, snoozed, tz) : '',
  };
}

/** Media of an incident of the signed-in tenant only; another tenant's id is 404 like an unknown one. */
export async function incidentMedia(app: FastifyInstance, clientId: string, id: string, which: 'clip' | 'thumbnail') {
  const i = await storesOf(app).incidents.get(clientId, id);
  const artifactId = which === 'clip' ? i?.clipArtifactId : i?.thumbnailArtifactId;
  if (!i || !artifactId) throw new AppError(ErrorCode.NotFound, 'not found');
  const a = await app.svc.repo.findArtifact(artifactId, clientId);
  if (!a) throw new AppError(ErrorCode.NotFound, 'not found');
  return a;
}

export const DATE = { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' } as const;
export const IdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;
export const csrf = (app: FastifyInstance) => async (req: FastifyRequest) => app.consoleSessions.checkCsrf(req);
