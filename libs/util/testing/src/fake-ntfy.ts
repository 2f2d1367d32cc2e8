import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './fake-telegram';

/*
 * A stand-in for an ntfy server (https://docs.ntfy.sh/publish/), as strict as ntfy for what Vigint sends:
 * publish by `PUT|POST /<topic>` (body = message, or an attachment with parameters in headers, RFC 2047
 * encoded words decoded) and by JSON `POST /` ({topic, message, title, priority, tags, click, actions}).
 * Errors use ntfy's shape `{code, http, error, link?}` with the codes of its server/errors.go (40007
 * invalid priority, 40009 topic invalid, 40017 JSON invalid, 40018 actions invalid, 40101 unauthorized,
 * 41301 attachment too large).
 */

export interface NtfyMessage {
  topic: string;
  title?: string;
  message: string;
  priority: number;
  tags: string[];
  click?: string;
  actions: { action: string; label: string; url?: string; method?: string }[];
  attachment?: { name: string; type: string; size: number };
  authorization?: string;
}

export interface FakeNtfy {
  readonly url: string;
  readonly messages: NtfyMessage[];
  failNext(count: number, status: 500 | 502 | 503 | 429): void;
  waitForMessages(count: number, timeoutMs?: number): Promise<NtfyMessage[]>;
  stop(): Promise<void>;
}

const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
const ATTACHMENT_MAX = 15 * 1024 * 1024;
const PRIORITIES: Record<string, number> = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 };

class NtfyError extends Error {
  constructor(
    readonly code: number,
    readonly http: number,
    message: string,
  ) {
    super(message);
  }
}

/** ntfy decodes `=?UTF-8?B?…?=` / `=?UTF-8?Q?…?=` in header values. */
function decodeHeader(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v.join(',') : v;
  return s.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_m, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function param(req: IncomingMessage, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = decodeHeader(req.headers[n.toLowerCase()]);
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function priorityOf(v: string | number | undefined): number {
  if (v === undefined || v === '') return 3;
  const n = typeof v === 'number' ? v : /^\d$/.test(v) ? Number(v) : PRIORITIES[v.toLowerCase()];
  if (!n || n < 1 || n > 5) throw new NtfyError(40007, 400, 'invalid priority');
  return n;
}

type Action = NtfyMessage['actions'][number];

function checkActions(actions: Action[]): Action[] {
  if (actions.length > 3) throw new NtfyError(40018, 400, 'invalid request: actions invalid, only 3 actions allowed');
  for (const a of actions) {
    if (!['view', 'broadcast', 'http'].includes(a.action))
      throw new NtfyError(40018, 400, `invalid request: actions invalid, action '${a.action}' unknown`);
    if (!a.label) throw new NtfyError(40018, 400, 'invalid request: actions invalid, label is required');
    if (a.action !== 'broadcast' && !/^https?:\/\//.test(a.url ?? ''))
      throw new NtfyError(40018, 400, 'invalid request: actions invalid, url must be http(s)');
  }
  return actions;
}

/** The header form: `action, label, url[, key=value…]; …` (docs.ntfy.sh/publish "Action buttons"). */
function parseActionHeader(v: string | undefined): Action[] {
  if (!v) return [];
  return checkActions(
    v
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const parts = s.split(',').map((p) => p.trim());
        const [action = '', label = '', url, ...rest] = parts;
        const a: Action = { action, label, url };
        for (const kv of rest) {
          const [k, val] = kv.split('=');
          if (k === 'method') a.method = val;
        }
        return a;
      }),
  );
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new NtfyError(41301, 413, 'attachment too large, or bandwidth limit reached');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startFakeNtfy(options: { token?: string } = {}): Promise<FakeNtfy> {
  const messages: NtfyMessage[] = [];
  const waiters = new Set<() => void>();
  let failures = { count: 0, status: 500 };

  const handle = async (req: IncomingMessage): Promise<object> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'PUT' && req.method !== 'POST') throw new NtfyError(40401, 404, 'page not found');
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      throw new NtfyError(40101, 401, 'unauthorized');
    }
    if (failures.count > 0) {
      failures.count--;
      throw new NtfyError(failures.status * 100 + 1, failures.status, 'internal server error');
    }
    const body = await readBody(req, ATTACHMENT_MAX);
    let msg: NtfyMessage;
    if (path === '/') {
      let j: Record<string, unknown>;
      try {
        j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new NtfyError(40017, 400, 'invalid request: request body must be message JSON');
      }
      const topic = typeof j.topic === 'string' ? j.topic : '';
      if (!TOPIC.test(topic)) throw new NtfyError(40009, 400, 'invalid request: topic invalid');
      msg = {
        topic,
        title: typeof j.title === 'string' ? j.title : undefined,
        message: typeof j.message === 'string' && j.message ? j.message : 'triggered',
        priority: priorityOf(j.priority as number | undefined),
        tags: Array.isArray(j.tags) ? j.tags.map(String) : [],
        click: typeof j.click === 'string' ? j.click : undefined,
        actions: checkActions(Array.isArray(j.actions) ? (j.actions as Action[]) : []),
      };
    } else {
      const topic = decodeURIComponent(path.slice(1));
      if (!TOPIC.test(topic)) throw new NtfyError(40009, 400, 'invalid request: topic invalid');
      const filename = param(req, 'x-filename', 'filename', 'file', 'f');
      // Like ntfy: a body that is not UTF-8 text, or comes with a file name, is an attachment.
      const isText = body.length > 0 && Buffer.from(body.toString('utf8'), 'utf8').equals(body);
      const attach = filename !== undefined || (body.length > 0 && !isText);
      msg = {
        topic,
        title: param(req, 'x-title', 'title', 't'),
        message: (attach ? param(req, 'x-message', 'message', 'm') : body.toString('utf8')) || 'triggered',
        priority: priorityOf(param(req, 'x-priority', 'priority', 'prio', 'p')),
        tags: (param(req, 'x-tags', 'tags', 'tag', 'ta') ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        click: param(req, 'x-click', 'click'),
        actions: parseActionHeader(param(req, 'x-actions', 'actions', 'action')),
        ...(attach
          ? {
              attachment: {
                name: filename ?? 'attachment',
                type: String(req.headers['content-type'] ?? 'application/octet-stream'),
                size: body.length,
              },
            }
          : {}),
      };
    }
    msg.authorization = req.headers.authorization;
    messages.push(msg);
    for (const w of waiters) w();
    return {
      id: `m${messages.length}`,
      time: Math.floor(Date.now() / 1000),
      event: 'message',
      topic: msg.topic,
      message: msg.message,
      ...(msg.title ? { title: msg.title } : {}),
      priority: msg.priority,
    };
  };

  const server: Server = createServer((req, res) => {
    handle(req)
      .then((out) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      })
      .catch((err: unknown) => {
        const e = err instanceof NtfyError ? err : new NtfyError(50001, 500, 'internal server error');
        res.writeHead(e.http, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ code: e.code, http: e.http, error: e.message, link: 'https://ntfy.sh/docs/publish/' }),
        );
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    failNext(count, status) {
      failures = { count, status };
    },
    waitForMessages(count, timeoutMs = 15_000) {
      return waitFor(() => messages.length >= count, waiters, timeoutMs, `${count} ntfy message(s)`).then(
        () => messages,
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
