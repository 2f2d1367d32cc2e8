import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local HTTP server speaking the subset of Gemini's REST API Vigint uses:
 * `POST /v1beta/models/{model}:generateContent`, key in `x-goog-api-key` or `?key=`.
 * Tests script its replies (queue or function) and read back what each request carried.
 */

export interface FakeUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
}

interface ReplyTiming {
  /** Wait this long before answering (slow upstream / timeout tests). */
  delayMs?: number;
}

export type FakeGeminiReply = ReplyTiming &
  (
    | { kind: 'verdict'; verdict: Record<string, unknown>; usage?: Partial<FakeUsage> }
    /** Raw text in the candidate's part: malformed JSON, off-schema JSON... */
    | { kind: 'text'; text: string; usage?: Partial<FakeUsage> }
    | { kind: 'rateLimited'; retryDelay?: string }
    | { kind: 'error'; status: number; message?: string }
    /** Prompt blocked by safety filters: no candidates, `promptFeedback.blockReason`. */
    | { kind: 'blocked'; reason?: string }
    /** Any status and JSON body, sent as is. */
    | { kind: 'raw'; status: number; body: unknown }
  );

/** Reply builders, so tests read as `fake.enqueue(reply.verdict({...}), reply.rateLimited('2s'))`. */
export const geminiReply = {
  verdict: (
    verdict: Record<string, unknown>,
    opts: ReplyTiming & { usage?: Partial<FakeUsage> } = {},
  ): FakeGeminiReply => ({
    kind: 'verdict',
    verdict,
    ...opts,
  }),
  noIncident: (opts: ReplyTiming = {}): FakeGeminiReply => ({ kind: 'verdict', verdict: NO_INCIDENT_VERDICT, ...opts }),
  incident: (over: Record<string, unknown> = {}, opts: ReplyTiming = {}): FakeGeminiReply => ({
    kind: 'verdict',
    verdict: { ...INCIDENT_VERDICT, ...over },
    ...opts,
  }),
  text: (text: string, opts: ReplyTiming = {}): FakeGeminiReply => ({ kind: 'text', text, ...opts }),
  rateLimited: (retryDelay = '2s', opts: ReplyTiming = {}): FakeGeminiReply => ({
    kind: 'rateLimited',
    retryDelay,
    ...opts,
  }),
  error: (status = 503, opts: ReplyTiming & { message?: string } = {}): FakeGeminiReply => ({
    kind: 'error',
    status,
    ...opts,
  }),
  blocked: (reason = 'SAFETY'): FakeGeminiReply => ({ kind: 'blocked', reason }),
  raw: (status: number, body: unknown): FakeGeminiReply => ({ kind: 'raw', status, body }),
};

export const NO_INCIDENT_VERDICT = {
  incident: false,
  incident_type: 'none',
  risk_level: 'NONE',
  description: 'Nothing unusual.',
  confidence: 0.9,
  frame_indexes: [],
};

export const INCIDENT_VERDICT = {
  incident: true,
  incident_type: 'intrusion',
  risk_level: 'HIGH',
  description: 'A person climbs over the fence.',
  confidence: 0.85,
  frame_indexes: [0],
};

export interface RecordedImage {
  mimeType: string;
  bytes: number;
  /** The decoded inline data, for tests that check size or masking. */
  data: Buffer;
}

export interface RecordedGeminiRequest {
  /** Date.now() when the request arrived. */
  at: number;
  model: string;
  apiKey: string | undefined;
  prompt: string;
  images: RecordedImage[];
  generationConfig: Record<string, unknown> | undefined;
  body: unknown;
}

export type FakeGeminiHandler = (req: RecordedGeminiRequest, index: number) => FakeGeminiReply;

export interface FakeGemini {
  /** `http://127.0.0.1:<port>`: pass as GEMINI_BASE_URL. */
  readonly baseUrl: string;
  readonly requests: RecordedGeminiRequest[];
  readonly requestCount: number;
  /** Replies used in order; when empty, the handler (if set) or the default reply answers. */
  enqueue(...replies: FakeGeminiReply[]): void;
  setHandler(handler: FakeGeminiHandler | undefined): void;
  setDefault(reply: FakeGeminiReply): void;
  /** Clears queue, handler and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeGeminiOptions {
  /** When set, requests with another key get 400 API_KEY_INVALID (as the real API). */
  apiKey?: string;
  defaultReply?: FakeGeminiReply;
}

/**
 * Token counts shaped like Gemini's: 258 tokens per image tile (≤384 px both sides is one tile, else
 * 768 px tiles), about 4 characters per text token.
 */
export function estimateTokens(prompt: string, imageSizes: { width: number; height: number }[]): number {
  let tokens = Math.ceil(prompt.length / 4);
  for (const { width, height } of imageSizes) {
    tokens += width <= 384 && height <= 384 ? 258 : Math.ceil(width / 768) * Math.ceil(height / 768) * 258;
  }
  return tokens;
}

/** Width and height of a JPEG or PNG from its header; undefined for anything else. */
export function imageDimensions(data: Buffer): { width: number; height: number } | undefined {
  if (data.length > 24 && data.readUInt32BE(0) === 0x89504e47) {
    return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < data.length) {
    if (data[i] !== 0xff) return undefined;
    const marker = data[i + 1]!;
    const length = data.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: data.readUInt16BE(i + 5), width: data.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  return undefined;
}

interface GeminiPart {
  text?: string;
  inlineData?: { mimeType?: string; data?: string };
}

function record(req: IncomingMessage, body: unknown): RecordedGeminiRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const match = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(url.pathname);
  const header = req.headers['x-goog-api-key'];
  const b = (body ?? {}) as { contents?: { parts?: GeminiPart[] }[]; generationConfig?: Record<string, unknown> };
  const parts = (b.contents ?? []).flatMap((c) => c.parts ?? []);
  const prompt = parts
    .map((p) => p.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
  const images = parts
    .filter((p) => p.inlineData?.data !== undefined)
    .map((p) => {
      const data = Buffer.from(p.inlineData!.data!, 'base64');
      return { mimeType: p.inlineData!.mimeType ?? '', bytes: data.length, data };
    });
  return {
    at: Date.now(),
    model: match ? decodeURIComponent(match[1]!) : '',
    apiKey: typeof header === 'string' ? header : (url.searchParams.get('key') ?? undefined),
    prompt,
    images,
    generationConfig: b.generationConfig,
    body,
  };
}

function usageFor(rec: RecordedGeminiRequest, text: string, over: Partial<FakeUsage> = {}): FakeUsage {
  const sizes = rec.images.map((i) => imageDimensions(i.data) ?? { width: 768, height: 768 });
  const promptTokenCount = over.promptTokenCount ?? estimateTokens(rec.prompt, sizes);
  const candidatesTokenCount = over.candidatesTokenCount ?? Math.ceil(text.length / 4);
  return {
    promptTokenCount,
    candidatesTokenCount,
    totalTokenCount: over.totalTokenCount ?? promptTokenCount + candidatesTokenCount,
  };
}

function errorBody(code: number, status: string, message: string, details?: unknown[]): unknown {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

function render(reply: FakeGeminiReply, rec: RecordedGeminiRequest): { status: number; body: unknown } {
  const candidate = (text: string) => ({
    content: { parts: [{ text }], role: 'model' },
    finishReason: 'STOP',
    index: 0,
  });
  switch (reply.kind) {
    case 'verdict':
    case 'text': {
      const text = reply.kind === 'verdict' ? JSON.stringify(reply.verdict) : reply.text;
      return {
        status: 200,
        body: {
          candidates: [candidate(text)],
          usageMetadata: usageFor(rec, text, reply.usage),
          modelVersion: rec.model,
        },
      };
    }
    case 'rateLimited':
      // The shape the real API returns for quota errors: QuotaFailure + Help + RetryInfo.
      return {
        status: 429,
        body: errorBody(
          429,
          'RESOURCE_EXHAUSTED',
          'You exceeded your current quota, please check your plan and billing details.',
          [
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [
                {
                  quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                  quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                  quotaDimensions: { model: rec.model, location: 'global' },
                  quotaValue: '15',
                },
              ],
            },
            {
              '@type': 'type.googleapis.com/google.rpc.Help',
              links: [{ description: 'Learn more', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
            },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: reply.retryDelay ?? '2s' },
          ],
        ),
      };
    case 'error': {
      const status = reply.status === 503 ? 'UNAVAILABLE' : reply.status === 500 ? 'INTERNAL' : 'UNKNOWN';
      return {
        status: reply.status,
        body: errorBody(reply.status, status, reply.message ?? 'The model is overloaded. Please try again later.'),
      };
    }
    case 'blocked':
      return {
        status: 200,
        body: { promptFeedback: { blockReason: reply.reason ?? 'SAFETY' }, usageMetadata: usageFor(rec, '') },
      };
    case 'raw':
      return { status: reply.status, body: reply.body };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const requests: RecordedGeminiRequest[] = [];
  let queue: FakeGeminiReply[] = [];
  let handler: FakeGeminiHandler | undefined;
  let fallback: FakeGeminiReply = options.defaultReply ?? geminiReply.noIncident();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        send(res, 400, errorBody(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
        return;
      }
      const rec = record(req, body);
      if (req.method !== 'POST' || !rec.model) {
        send(res, 404, errorBody(404, 'NOT_FOUND', `no route ${req.method} ${req.url}`));
        return;
      }
      const index = requests.length;
      requests.push(rec);
      if (options.apiKey !== undefined && rec.apiKey !== options.apiKey) {
        send(res, 400, errorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'));
        return;
      }
      const reply = queue.shift() ?? (handler ? handler(rec, index) : fallback);
      const { status, body: out } = render(reply, rec);
      if (reply.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send(res, status, out);
        }, reply.delayMs);
        timers.add(t);
      } else {
        send(res, status, out);
      }
    })().catch(() => send(res, 500, errorBody(500, 'INTERNAL', 'fake gemini failed')));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get requestCount() {
      return requests.length;
    },
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setHandler: (h) => {
      handler = h;
    },
    setDefault: (r) => {
      fallback = r;
    },
    reset: () => {
      queue = [];
      handler = undefined;
      requests.length = 0;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
