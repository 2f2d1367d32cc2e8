import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A stand-in for Telegram's Bot API (https://core.telegram.org/bots/api), at least as strict as the real
 * one for what Vigint sends: `POST /bot<token>/sendMessage` and `/sendPhoto`, JSON, urlencoded or
 * multipart bodies, and the documented reply shapes `{ok: true, result}` / `{ok: false, error_code,
 * description, parameters?}`. Descriptions are the real service's texts ("Bad Request: chat not found",
 * "Unauthorized", "Bad Request: message caption is too long", "Too Many Requests: retry after N").
 */

export interface TelegramSent {
  method: 'sendMessage' | 'sendPhoto';
  chatId: string;
  text: string;
  parseMode?: string;
  replyMarkup?: unknown;
  photo?: { bytes: number; type: string; filename?: string };
}

export interface FakeTelegram {
  /** Bot API base URL to configure (`apiBase`). */
  readonly url: string;
  readonly token: string;
  readonly chatId: string;
  readonly sent: TelegramSent[];
  /** The next `count` calls answer this (e.g. 500, or 429 with retry_after). */
  failNext(count: number, status: 429 | 500 | 502, retryAfterSeconds?: number): void;
  waitForSent(count: number, timeoutMs?: number): Promise<TelegramSent[]>;
  stop(): Promise<void>;
}

const TEXT_MAX = 4096;
const CAPTION_MAX = 1024;
const PHOTO_MAX = 10 * 1024 * 1024;

type Fields = Record<string, string>;
interface ParsedBody {
  fields: Fields;
  photo?: { bytes: number; type: string; filename?: string };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function parse(req: IncomingMessage, raw: Buffer): Promise<ParsedBody> {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    const obj = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const fields: Fields = {};
    for (const [k, v] of Object.entries(obj)) fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return { fields };
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { fields: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) };
  }
  if (type.startsWith('multipart/form-data')) {
    // undici's Request parses multipart the way any HTTP framework would.
    const form = await new Request('http://local/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(raw),
    })
      .formData()
      .catch(() => null);
    if (!form) throw new Error('bad multipart');
    const fields: Fields = {};
    let photo: ParsedBody['photo'];
    form.forEach((v, k) => {
      if (typeof v === 'string') fields[k] = v;
      else if (k === 'photo') photo = { bytes: v.size, type: v.type, filename: (v as File).name };
    });
    return { fields, photo };
  }
  return { fields: {} };
}

/** Telegram counts text length after entity parsing: tags stripped, entities decoded. */
function visibleLength(html: string): number {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(lt|gt|amp|quot);/g, 'x')
    .replace(/&#\d+;/g, 'x').length;
}

/** The HTML parse mode accepts only its documented tags, properly nested, and only these entities. */
function htmlError(html: string): string | undefined {
  const allowed = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'span']);
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z-]+)[^>]*>|&([a-zA-Z]+|#\d+);|[<>]|&/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    if (m[0] === '<' || m[0] === '>' || m[0] === '&') return `Unexpected character at byte offset ${m.index}`;
    if (m[3] !== undefined) {
      if (!/^(lt|gt|amp|quot|#\d+)$/.test(m[3])) return `Unsupported HTML entity "&${m[3]};"`;
      continue;
    }
    const tag = m[2]!.toLowerCase();
    if (!allowed.has(tag)) return `Unsupported start tag "${tag}" at byte offset ${m.index}`;
    if (m[1]) {
      if (stack.pop() !== tag) return `Unmatched end tag at byte offset ${m.index}, expected "</${tag}>"`;
    } else stack.push(tag);
  }
  return stack.length ? `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` : undefined;
}

function buttonUrlError(markup: string): string | undefined {
  let parsed: { inline_keyboard?: { text?: string; url?: string }[][] };
  try {
    parsed = JSON.parse(markup) as typeof parsed;
  } catch {
    return "Bad Request: can't parse reply keyboard markup JSON object";
  }
  for (const row of parsed.inline_keyboard ?? []) {
    for (const b of row) {
      if (!b.text) return 'Bad Request: text buttons are unallowed in the inline keyboard';
      if (b.url !== undefined) {
        let host = '';
        try {
          const u = new URL(b.url);
          if (!/^https?:$/.test(u.protocol)) throw new Error('scheme');
          host = u.hostname;
        } catch {
          return 'Bad Request: BUTTON_URL_INVALID';
        }
        if (/^(localhost|127\.|0\.0\.0\.0|\[::1\])/.test(host)) return 'Bad Request: BUTTON_URL_INVALID';
      }
    }
  }
  return undefined;
}

export async function startFakeTelegram(options: { token?: string; chatId?: string } = {}): Promise<FakeTelegram> {
  const token = options.token ?? '123456:TEST-token_abcdefghijklmnopqrstuvwxyz';
  const chatId = options.chatId ?? '424242';
  const sent: TelegramSent[] = [];
  const waiters = new Set<() => void>();
  let failures: { count: number; status: number; retryAfter?: number } = { count: 0, status: 500 };
  let messageId = 1;

  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (code: number, description: string, parameters?: object) =>
      answer(code, { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) });
    void (async () => {
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url?.split('?')[0] ?? '');
      if (!m) return fail(404, 'Not Found');
      if (m[1] !== token) return fail(401, 'Unauthorized');
      const method = m[2]!;
      if (method !== 'sendMessage' && method !== 'sendPhoto') return fail(404, 'Not Found');
      const raw = await readBody(req);
      if (failures.count > 0) {
        failures.count--;
        if (failures.status === 429) {
          const s = failures.retryAfter ?? 1;
          return fail(429, `Too Many Requests: retry after ${s}`, { retry_after: s });
        }
        return fail(failures.status, 'Internal Server Error');
      }
      let body: ParsedBody;
      try {
        body = await parse(req, raw);
      } catch {
        return fail(400, "Bad Request: can't parse JSON object");
      }
      const f = body.fields;
      if (!f.chat_id) return fail(400, 'Bad Request: chat_id is empty');
      if (f.chat_id !== chatId) return fail(400, 'Bad Request: chat not found');
      if (f.parse_mode && !['HTML', 'MarkdownV2', 'Markdown'].includes(f.parse_mode)) {
        return fail(400, 'Bad Request: unsupported parse_mode');
      }
      const text = method === 'sendMessage' ? (f.text ?? '') : (f.caption ?? '');
      if (method === 'sendMessage' && !text.trim()) return fail(400, 'Bad Request: message text is empty');
      if (f.parse_mode === 'HTML') {
        const e = htmlError(text);
        if (e) return fail(400, `Bad Request: can't parse entities: ${e}`);
      }
      const len = f.parse_mode === 'HTML' ? visibleLength(text) : text.length;
      if (method === 'sendMessage' && len > TEXT_MAX) return fail(400, 'Bad Request: message is too long');
      if (method === 'sendPhoto') {
        if (len > CAPTION_MAX) return fail(400, 'Bad Request: message caption is too long');
        if (!body.photo && !f.photo) return fail(400, 'Bad Request: there is no photo in the request');
        if (body.photo && body.photo.bytes === 0) return fail(400, 'Bad Request: file must be non-empty');
        if (body.photo && body.photo.bytes > PHOTO_MAX) return fail(400, 'Bad Request: PHOTO_INVALID_DIMENSIONS');
      }
      if (f.reply_markup) {
        const e = buttonUrlError(f.reply_markup);
        if (e) return fail(400, e);
      }
      sent.push({
        method,
        chatId: f.chat_id,
        text,
        parseMode: f.parse_mode,
        replyMarkup: f.reply_markup ? JSON.parse(f.reply_markup) : undefined,
        photo: body.photo,
      });
      for (const w of waiters) w();
      const id = messageId++;
      return answer(200, {
        ok: true,
        result: {
          message_id: id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chatId), type: 'private' },
          ...(method === 'sendPhoto' ? { caption: text, photo: [] } : { text }),
        },
      });
    })().catch(() => fail(500, 'Internal Server Error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    chatId,
    sent,
    failNext(count, status, retryAfterSeconds) {
      failures = { count, status, retryAfter: retryAfterSeconds };
    },
    waitForSent(count, timeoutMs = 15_000) {
      return waitFor(() => sent.length >= count, waiters, timeoutMs, `${count} Telegram message(s)`).then(() => sent);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves when `done()` turns true (checked on every arrival), rejects after `timeoutMs`. */
export function waitFor(done: () => boolean, waiters: Set<() => void>, timeoutMs: number, what: string): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!done()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    waiters.add(check);
  });
}
