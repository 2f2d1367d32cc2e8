import { riskAtLeast, type CameraRecord, type NoticeChannels, type RiskLevel } from '@vigint/contracts';
import { ChannelKind, type Notice, type NoticeChannel } from '@vigint/notify';
import type { IncidentActionLinks } from './action-link';
import { noticeMessages } from './notice-messages';

/** A camera's console controls: a snooze and its own alert threshold. */
export interface CameraControl {
  snoozedUntil: Date | null;
  alertThreshold: RiskLevel | null;
}

/** A camera's snooze and threshold as the console set them, from the camera store. */
export function cameraControlOf(
  camera: Pick<CameraRecord, 'snoozedUntil' | 'alertThreshold'> | null,
): CameraControl | null {
  if (!camera) return null;
  return {
    snoozedUntil: camera.snoozedUntil ? new Date(camera.snoozedUntil) : null,
    alertThreshold: camera.alertThreshold ?? null,
  };
}

export function snoozeActive(control: CameraControl | null | undefined, now: Date): boolean {
  return !!control?.snoozedUntil && control.snoozedUntil.getTime() > now.getTime();
}

export type NoticeDecision = { send: true } | { send: false; reason: 'snoozed' | 'below_threshold' };

/**
 * Whether an incident may alert anyone (notices and e-mail alike): a snoozed camera keeps recording and
 * listing incidents but sends nothing until the snooze ends; a camera's own threshold can raise the bar.
 */
export function noticeDecision(
  riskLevel: RiskLevel,
  control: CameraControl | null | undefined,
  now: Date,
): NoticeDecision {
  if (snoozeActive(control, now)) return { send: false, reason: 'snoozed' };
  if (control?.alertThreshold && !riskAtLeast(riskLevel, control.alertThreshold)) {
    return { send: false, reason: 'below_threshold' };
  }
  return { send: true };
}

/** The end of "snooze until tomorrow": the next local midnight in `timeZone`. */
export function nextLocalMidnight(now: Date, timeZone: string): Date {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const sinceMidnightMs = ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + now.getMilliseconds();
  return new Date(now.getTime() - sinceMidnightMs + 24 * 3600 * 1000);
}

/** The client's configured channels, in the adapter's terms (e-mail is separate and stays the default). */
export function channelsFrom(channels: NoticeChannels | null | undefined, telegramApiBase?: string): NoticeChannel[] {
  const out: NoticeChannel[] = [];
  if (!channels) return out;
  if (channels.webhook) out.push({ kind: ChannelKind.Webhook, ...channels.webhook });
  if (channels.ntfy) out.push({ kind: ChannelKind.Ntfy, ...channels.ntfy });
  if (channels.telegram) out.push({ kind: ChannelKind.Telegram, ...channels.telegram, apiBase: telegramApiBase });
  return out;
}

export interface FirstNoticeInput {
  incidentId: string;
  /** The incident's idempotency key (one notice per incident and channel). */
  idempotencyKey: string;
  cameraName: string;
  riskLevel: RiskLevel;
  incidentType: string;
  /** The AI's one-line summary. */
  summary: string;
  occurredAt: Date;
  language?: string;
  timeZone?: string;
  snapshot?: Buffer;
  links?: IncidentActionLinks;
}

const PRIORITY: Record<string, Notice['priority']> = { CRITICAL: 5, HIGH: 5, MEDIUM: 4, LOW: 3, NONE: 2 };

/** What the first notice says: risk, camera and type as the title; the summary, camera and local time. */
export function composeFirstNotice(input: FirstNoticeInput): Notice {
  const m = noticeMessages(input.language);
  const time = new Intl.DateTimeFormat(m.locale, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    day: 'numeric',
    month: 'short',
    timeZone: input.timeZone || 'UTC',
  }).format(input.occurredAt);
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  const summary = oneLine(input.summary).slice(0, 300) || input.incidentType;
  return {
    idempotencyKey: input.idempotencyKey,
    incidentId: input.incidentId,
    event: 'incident.detected',
    title: oneLine(m.title(input.riskLevel, input.cameraName, input.incidentType)).slice(0, 200),
    text: m.body(summary, oneLine(input.cameraName), time),
    cameraName: input.cameraName,
    riskLevel: input.riskLevel,
    incidentType: input.incidentType,
    occurredAt: input.occurredAt,
    priority: PRIORITY[input.riskLevel] ?? 4,
    snapshot: input.snapshot,
    links: input.links,
    labels: m.labels,
  };
}
