/** One instant notice about an incident, already composed (text in the client's language). */
export interface Notice {
  /** One delivery per key and channel: a retried job or a replayed announce never sends twice. */
  idempotencyKey: string;
  incidentId: string;
  /** Event kind for webhook receivers, e.g. `incident.detected`. */
  event: string;
  title: string;
  /** Plain text, a few lines: the AI's one-line summary, camera, time. */
  text: string;
  cameraName: string;
  riskLevel: string;
  incidentType: string;
  occurredAt: Date;
  /** 1 (min) .. 5 (max), ntfy's scale; others map it. */
  priority: 1 | 2 | 3 | 4 | 5;
  /** The masked snapshot (JPEG), when there is one. */
  snapshot?: Buffer;
  /** Signed, expiring links that act without signing in. */
  links?: NoticeLinks;
  /** Button labels in the client's language. */
  labels?: { open: string; acknowledge: string; snooze15: string; snooze60: string };
}

export interface NoticeLinks {
  open: string;
  acknowledge: string;
  snooze15: string;
  snooze60: string;
}

export enum ChannelKind {
  Webhook = 'webhook',
  Ntfy = 'ntfy',
  Telegram = 'telegram',
}

export interface WebhookChannel {
  kind: ChannelKind.Webhook;
  url: string;
  /** HMAC-SHA256 key of the signature header. */
  secret: string;
}

export interface NtfyChannel {
  kind: ChannelKind.Ntfy;
  /** Base URL of the ntfy server (https://ntfy.sh or a self-hosted one). */
  server: string;
  topic: string;
  /** Access token (`tk_…`) for a protected topic. */
  token?: string;
}

export interface TelegramChannel {
  kind: ChannelKind.Telegram;
  botToken: string;
  chatId: string;
  /** Bot API base URL (default https://api.telegram.org); a local Bot API server or a test stand-in. */
  apiBase?: string;
}

export type NoticeChannel = WebhookChannel | NtfyChannel | TelegramChannel;

export type NoticeDeliveryStatus = 'sent' | 'failed' | 'duplicate';

export interface NoticeDeliveryOutcome {
  channel: ChannelKind;
  idempotencyKey: string;
  status: NoticeDeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt (absent on a network error). */
  httpStatus?: number;
  error?: string;
  /** True when a retry could still succeed (5xx, 429, network); false for a refusal (4xx). */
  retryable?: boolean;
  at: Date;
}

/** One attempt, for the delivery log. */
export interface NoticeAttempt {
  channel: ChannelKind;
  idempotencyKey: string;
  attempt: number;
  ok: boolean;
  httpStatus?: number;
  error?: string;
  at: Date;
}

/**
 * Where deliveries are remembered: `claim` makes one send per key (it returns false when the key was
 * already sent), `record` keeps every attempt for the delivery log. PostgreSQL in distributed mode,
 * memory or a file locally.
 */
export interface NoticeLedger {
  claim(key: string, channel: ChannelKind, incidentId: string): Promise<boolean>;
  record(attempt: NoticeAttempt): Promise<void>;
  finish(key: string, outcome: NoticeDeliveryOutcome): Promise<void>;
}
