import { signWebhook } from './webhook-signature';
import { ChannelKind, type Notice, type NoticeChannel, type NtfyChannel, type TelegramChannel } from './notice.types';

/** One HTTP request to make for a notice on a channel. */
export interface ChannelRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string | Buffer | FormData;
}

/** How an answer reads: ok, or why not and whether trying again can help. */
export interface ChannelAnswer {
  ok: boolean;
  retryable: boolean;
  error?: string;
  /** The service asked us to wait this long (Telegram's parameters.retry_after, Retry-After). */
  retryAfterMs?: number;
}

const TELEGRAM_CAPTION_MAX = 1024;
const TELEGRAM_TEXT_MAX = 4096;

export function buildRequest(channel: NoticeChannel, notice: Notice, now: Date): ChannelRequest {
  switch (channel.kind) {
    case ChannelKind.Webhook: {
      const body = JSON.stringify(webhookBody(notice));
      const t = Math.floor(now.getTime() / 1000);
      return {
        url: channel.url,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Vigint-Webhook/1',
          'idempotency-key': notice.idempotencyKey,
          'x-vigint-event': notice.event,
          'x-vigint-signature': signWebhook(channel.secret, body, t),
        },
        body,
      };
    }
    case ChannelKind.Ntfy:
      return ntfyRequest(channel, notice);
    case ChannelKind.Telegram:
      return telegramRequest(channel, notice);
  }
}

function webhookBody(n: Notice) {
  return {
    id: n.idempotencyKey,
    type: n.event,
    created_at: new Date().toISOString(),
    data: {
      incident_id: n.incidentId,
      camera: n.cameraName,
      risk_level: n.riskLevel,
      incident_type: n.incidentType,
      occurred_at: n.occurredAt.toISOString(),
      title: n.title,
      summary: n.text,
      links: n.links ?? null,
      // Thumbnails are tens of KB: inline keeps the receiver from needing a second, authenticated fetch.
      snapshot_jpeg_base64: n.snapshot ? n.snapshot.toString('base64') : null,
    },
  };
}

/** RFC 2047 encoded word: ntfy decodes it in headers, and HTTP headers cannot carry raw UTF-8. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function ntfyActions(n: Notice): { action: 'http' | 'view'; label: string; url: string; method?: string }[] {
  if (!n.links) return [];
  const l = n.labels ?? { open: 'Open', acknowledge: 'Acknowledge', snooze15: 'Snooze 15 min', snooze60: 'Snooze 1 h' };
  // ntfy shows at most three buttons; the notice's tap opens the incident (click), so the three act.
  return [
    { action: 'http', label: l.acknowledge, url: n.links.acknowledge, method: 'POST' },
    { action: 'http', label: l.snooze15, url: n.links.snooze15, method: 'POST' },
    { action: 'http', label: l.snooze60, url: n.links.snooze60, method: 'POST' },
  ];
}

function ntfyRequest(c: NtfyChannel, n: Notice): ChannelRequest {
  const base = c.server.replace(/\/+$/, '');
  const auth: Record<string, string> = c.token ? { authorization: `Bearer ${c.token}` } : {};
  const tags = `rotating_light,${n.riskLevel.toLowerCase()}`;
  if (n.snapshot) {
    // The snapshot as the attachment (PUT body), everything else in headers (docs.ntfy.sh/publish "Attach local file").
    const actions = ntfyActions(n)
      .map((a) => `${a.action}, ${a.label.replace(/[,;]/g, ' ')}, ${a.url}${a.method ? `, method=${a.method}` : ''}`)
      .join('; ');
    return {
      url: `${base}/${encodeURIComponent(c.topic)}`,
      method: 'PUT',
      headers: {
        ...auth,
        'content-type': 'image/jpeg',
        title: headerText(n.title),
        message: headerText(n.text),
        priority: String(n.priority),
        tags,
        filename: 'snapshot.jpg',
        ...(n.links ? { click: n.links.open } : {}),
        ...(actions ? { actions: headerText(actions) } : {}),
      },
      body: n.snapshot,
    };
  }
  return {
    url: base,
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      topic: c.topic,
      title: n.title,
      message: n.text,
      priority: n.priority,
      tags: tags.split(','),
      ...(n.links ? { click: n.links.open, actions: ntfyActions(n) } : {}),
    }),
  };
}

const escHtml = (s: string) => s.replace(/[&<>]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[ch]!);

/** Telegram refuses URL buttons pointing at local hosts; such links stay in the text only. */
function buttonUrlAllowed(url: string): boolean {
  try {
    const h = new URL(url).hostname;
    return !/^(localhost|127\.|\[?::1\]?$|0\.0\.0\.0)/.test(h);
  } catch {
    return false;
  }
}

function telegramRequest(c: TelegramChannel, n: Notice): ChannelRequest {
  const base = `${(c.apiBase ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${c.botToken}`;
  const l = n.labels ?? { open: 'Open', acknowledge: 'Acknowledge', snooze15: 'Snooze 15 min', snooze60: 'Snooze 1 h' };
  const linkLine = n.links
    ? `\n<a href="${escHtml(n.links.open)}">${escHtml(l.open)}</a> · <a href="${escHtml(n.links.acknowledge)}">${escHtml(l.acknowledge)}</a> · <a href="${escHtml(n.links.snooze15)}">${escHtml(l.snooze15)}</a> · <a href="${escHtml(n.links.snooze60)}">${escHtml(l.snooze60)}</a>`
    : '';
  const max = n.snapshot ? TELEGRAM_CAPTION_MAX : TELEGRAM_TEXT_MAX;
  // Length counts after entity parsing: trim the plain part so the links always fit. Multipart form
  // encoding turns each newline into CRLF, so newlines count twice.
  const fixed = `${n.title}\n${linkLine.replace(/<[^>]+>/g, '')}`;
  const room = Math.max(0, max - fixed.length - (fixed.match(/\n/g)?.length ?? 0) - 1);
  const plain =
    n.text.length + (n.text.match(/\n/g)?.length ?? 0) > room ? `${n.text.slice(0, Math.max(0, room - 1))}…` : n.text;
  const text = `<b>${escHtml(n.title)}</b>\n${escHtml(plain)}${linkLine}`;
  const buttons =
    n.links && buttonUrlAllowed(n.links.open)
      ? {
          inline_keyboard: [
            [{ text: l.open, url: n.links.open }],
            [
              { text: l.acknowledge, url: n.links.acknowledge },
              { text: l.snooze15, url: n.links.snooze15 },
              { text: l.snooze60, url: n.links.snooze60 },
            ],
          ],
        }
      : undefined;
  if (n.snapshot) {
    const form = new FormData();
    form.set('chat_id', c.chatId);
    form.set('caption', text);
    form.set('parse_mode', 'HTML');
    if (buttons) form.set('reply_markup', JSON.stringify(buttons));
    form.set('photo', new Blob([new Uint8Array(n.snapshot)], { type: 'image/jpeg' }), 'snapshot.jpg');
    return { url: `${base}/sendPhoto`, method: 'POST', headers: {}, body: form };
  }
  return {
    url: `${base}/sendMessage`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      chat_id: c.chatId,
      text,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(buttons ? { reply_markup: buttons } : {}),
    }),
  };
}

function retryAfterHeader(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/** Reads the answer the way each service documents its errors. */
export function readAnswer(
  kind: ChannelKind,
  status: number,
  bodyText: string,
  retryAfter: string | null,
): ChannelAnswer {
  const retryable = status >= 500 || status === 429 || status === 408;
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(bodyText) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (kind === ChannelKind.Telegram) {
    // Bot API: {ok: true, result} or {ok: false, error_code, description, parameters?: {retry_after}}.
    if (json?.ok === true && status < 300) return { ok: true, retryable: false };
    const params = json?.parameters as { retry_after?: number } | undefined;
    return {
      ok: false,
      retryable,
      error: `telegram ${String(json?.error_code ?? status)}: ${String(json?.description ?? bodyText.slice(0, 200))}`,
      retryAfterMs: params?.retry_after !== undefined ? params.retry_after * 1000 : retryAfterHeader(retryAfter),
    };
  }
  if (status >= 200 && status < 300) return { ok: true, retryable: false };
  if (kind === ChannelKind.Ntfy) {
    // ntfy: {code: 40013, http: 400, error: "...", link?: "..."}.
    return {
      ok: false,
      retryable,
      error: `ntfy ${String(json?.code ?? status)}: ${String(json?.error ?? bodyText.slice(0, 200))}`,
      retryAfterMs: retryAfterHeader(retryAfter),
    };
  }
  return { ok: false, retryable, error: `webhook HTTP ${status}`, retryAfterMs: retryAfterHeader(retryAfter) };
}
