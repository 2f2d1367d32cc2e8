import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenLocal, loadFixture, readBody, sendJson, type RecordedFixture } from './stand-in';

/*
 * A local HTTP server speaking the subset of Gemini's REST API Vigint uses, at least as strict as the
 * hosted one (ai.google.dev/api): `POST /v1beta/models/{model}:generateContent` and `GET /v1beta/models/{model}`,
 * key in `x-goog-api-key` or `?key=`. It validates what the real API validates (model exists, generationConfig
 * fields, responseSchema keywords, thinkingConfig per model, safetySettings) and answers with the recorded
 * reply shapes in `fixtures/gemini/*.json` (each names its source). Tests script its replies (queue or
 * function) and read back what each request carried.
 */

export interface FakeUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount: number;
}

interface ReplyTiming {
  /** Wait this long before answering (slow upstream / timeout tests). */
  delayMs?: number;
}

type UsageOpts = ReplyTiming & { usage?: Partial<FakeUsage>; thoughtsTokenCount?: number };

export type FakeGeminiReply = ReplyTiming &
  (
    | { kind: 'verdict'; verdict: Record<string, unknown>; usage?: Partial<FakeUsage>; thoughtsTokenCount?: number }
    /** Raw text in the candidate's part: malformed JSON, off-schema JSON... */
    | { kind: 'text'; text: string; usage?: Partial<FakeUsage>; thoughtsTokenCount?: number }
    /** Per-minute quota: 429 with RetryInfo. */
    | { kind: 'rateLimited'; retryDelay?: string }
    /** Per-day quota: 429 with a ...PerDay... QuotaFailure (and RetryInfo, as the real one). */
    | { kind: 'dailyQuota' }
    | { kind: 'error'; status: number; message?: string }
    /** Prompt blocked by safety filters: no candidates, `promptFeedback.blockReason`. */
    | { kind: 'blocked'; reason?: string }
    /** A candidate stopped by a filter (SAFETY, IMAGE_SAFETY, IMAGE_PROHIBITED_CONTENT, OTHER...). */
    | { kind: 'finish'; reason: string }
    /** Thinking used the whole maxOutputTokens: MAX_TOKENS without text. */
    | { kind: 'maxTokens' }
    /** Any status and JSON body, sent as is. */
    | { kind: 'raw'; status: number; body: unknown }
  );

/** Reply builders, so tests read as `fake.enqueue(reply.verdict({...}), reply.rateLimited('2s'))`. */
export const geminiReply = {
  verdict: (verdict: Record<string, unknown>, opts: UsageOpts = {}): FakeGeminiReply => ({
    kind: 'verdict',
    verdict,
    ...opts,
  }),
  noIncident: (opts: UsageOpts = {}): FakeGeminiReply => ({ kind: 'verdict', verdict: NO_INCIDENT_VERDICT, ...opts }),
  incident: (over: Record<string, unknown> = {}, opts: UsageOpts = {}): FakeGeminiReply => ({
    kind: 'verdict',
    verdict: { ...INCIDENT_VERDICT, ...over },
    ...opts,
  }),
  text: (text: string, opts: UsageOpts = {}): FakeGeminiReply => ({ kind: 'text', text, ...opts }),
  rateLimited: (retryDelay = '2s', opts: ReplyTiming = {}): FakeGeminiReply => ({
    kind: 'rateLimited',
    retryDelay,
    ...opts,
  }),
  dailyQuota: (): FakeGeminiReply => ({ kind: 'dailyQuota' }),
  error: (status = 503, opts: ReplyTiming & { message?: string } = {}): FakeGeminiReply => ({
    kind: 'error',
    status,
    ...opts,
  }),
  blocked: (reason = 'SAFETY'): FakeGeminiReply => ({ kind: 'blocked', reason }),
  finish: (reason: string): FakeGeminiReply => ({ kind: 'finish', reason }),
  maxTokens: (): FakeGeminiReply => ({ kind: 'maxTokens' }),
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

/**
 * Models the hosted API serves today (ai.google.dev/gemini-api/docs/models, .../latest-model), and those it
 * has shut down (ai.google.dev/gemini-api/docs/deprecations): the latter answer 404 like unknown names.
 */
export const FAKE_GEMINI_MODELS = [
  'gemini-3.8-flash',
  'gemini-3.7-flash',
  'gemini-3.6-flash',
  'gemini-3.5-flash',
  'gemini-3.5-flash-lite',
  'gemini-3.1-flash-lite',
  'gemini-3.1-pro-preview',
  'gemini-3-flash-preview',
  'gemini-2.5-flash-lite',
];
export const RETIRED_GEMINI_MODELS = [
  'gemini-2.5-flash',
  'gemini-2.5-pro',
  'gemini-2.0-flash',
  'gemini-2.0-flash-lite',
  'gemini-1.5-flash',
  'gemini-1.5-pro',
  'gemini-pro',
];

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
  safetySettings: unknown;
  body: unknown;
}

export type FakeGeminiHandler = (req: RecordedGeminiRequest, index: number) => FakeGeminiReply;

export interface FakeGemini {
  /** `http://127.0.0.1:<port>`: pass as GEMINI_BASE_URL. */
  readonly baseUrl: string;
  /** generateContent requests that passed validation (and those refused for a bad key). */
  readonly requests: RecordedGeminiRequest[];
  readonly requestCount: number;
  /** Requests refused by validation (400/404), with the error message sent. */
  readonly rejected: { model: string; status: number; message: string }[];
  /** models.get calls, by model name. */
  readonly modelLookups: string[];
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
  /** Models served besides FAKE_GEMINI_MODELS (e.g. a tuned model name a test invents). */
  models?: string[];
  /** Thinking tokens each verdict reply reports unless the reply says otherwise (default 0). */
  thoughtsTokenCount?: number;
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

// ---------------------------------------------------------------------------------------------------------
// Recorded reply shapes

export type GeminiFixture = RecordedFixture;

/** A fixture of fixtures/gemini with its `{{name}}` placeholders filled. */
export function geminiFixture(name: string, vars: Record<string, unknown> = {}): GeminiFixture {
  return loadFixture('gemini', name, vars);
}

// ---------------------------------------------------------------------------------------------------------
// Validation, as the hosted API does it

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super((body as { error?: { message?: string } })?.error?.message ?? `HTTP ${status}`);
  }
}

function invalid(message: string, field?: string): Rejection {
  return new Rejection(400, {
    error: {
      code: 400,
      message,
      status: 'INVALID_ARGUMENT',
      ...(field
        ? {
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.BadRequest',
                fieldViolations: [{ field, description: message }],
              },
            ],
          }
        : {}),
    },
  });
}

function unknownField(name: string, path: string): Rejection {
  const f = geminiFixture('schema-unknown-field-400', { field: name, path });
  return new Rejection(f.status, f.body);
}

/** Fields of the OpenAPI `Schema` message responseSchema is parsed into (ai.google.dev/api/caching#Schema). */
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);
const SCHEMA_TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL', 'TYPE_UNSPECIFIED']);

/** The proto field name in error paths (snake_case, as the real messages print them). */
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function validateSchema(schema: unknown, path: string): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema))
    throw invalid(`Invalid value at '${path}', expected an object.`, path);
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    // The real parser accepts either spelling of a field; anything else is unknown.
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!SCHEMA_FIELDS.has(camel)) throw unknownField(key, path);
  }
  if (s.type !== undefined && !SCHEMA_TYPES.has(String(s.type).toUpperCase()))
    throw invalid(
      `Invalid value at '${path}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${String(s.type)}"`,
      `${path}.type`,
    );
  if (s.properties !== undefined) {
    if (typeof s.properties !== 'object' || s.properties === null)
      throw invalid(`Invalid value at '${path}.properties'`, `${path}.properties`);
    Object.entries(s.properties).forEach(([, v], i) => validateSchema(v, `${path}.properties[${i}].value`));
    for (const r of (s.required as string[] | undefined) ?? []) {
      if (!(r in (s.properties as object)))
        throw invalid(`* GenerateContentRequest.${path}.required[]: property is not defined`, `${path}.required`);
    }
  }
  if (s.items !== undefined) validateSchema(s.items, `${path}.items`);
  if (Array.isArray(s.anyOf)) s.anyOf.forEach((a, i) => validateSchema(a, `${path}.any_of[${i}]`));
  if (String(s.type).toUpperCase() === 'OBJECT' && s.properties && Object.keys(s.properties).length === 0)
    throw invalid(
      `* GenerateContentRequest.${path}.properties: should be non-empty for OBJECT type`,
      `${path}.properties`,
    );
}

/** generationConfig fields the API knows (ai.google.dev/api/generate-content#GenerationConfig). */
const GENERATION_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
]);
const SAFETY_CATEGORIES = new Set([
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_CIVIC_INTEGRITY',
]);
const SAFETY_THRESHOLDS = new Set([
  'BLOCK_LOW_AND_ABOVE',
  'BLOCK_MEDIUM_AND_ABOVE',
  'BLOCK_ONLY_HIGH',
  'BLOCK_NONE',
  'OFF',
]);

function validateThinking(model: string, t: Record<string, unknown>): void {
  const path = 'generation_config.thinking_config';
  if (t.thinkingBudget !== undefined && t.thinkingLevel !== undefined)
    throw invalid('You can only set only one of thinking budget and thinking level.', path);
  const v25 = /^gemini-2\.5-(flash-lite|flash|pro)/.exec(model);
  const v3 = /^gemini-3(?:\.(\d+))?-(flash-lite|flash|pro)/.exec(model);
  if (t.thinkingLevel !== undefined) {
    if (v25) throw invalid('Thinking level is not supported for this model.', `${path}.thinking_level`);
    const level = String(t.thinkingLevel);
    const minor = Number(v3?.[1] ?? 0);
    const minimalOk = v3 && (v3[2] === 'flash-lite' || (v3[2] === 'flash' && minor <= 6));
    if (!['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'].includes(level) || (level === 'MINIMAL' && !minimalOk))
      throw invalid(`Thinking level ${level} is not supported for this model.`, `${path}.thinking_level`);
  }
  if (t.thinkingBudget !== undefined) {
    const b = Number(t.thinkingBudget);
    if (!Number.isInteger(b)) throw invalid(`Invalid value at '${path}.thinking_budget'`, `${path}.thinking_budget`);
    if (v25?.[1] === 'pro' && b !== -1 && (b < 128 || b > 32768))
      throw invalid('Budget 0 is invalid. This model only works in thinking mode.', `${path}.thinking_budget`);
    if (v25?.[1] === 'flash-lite' && b > 0 && b < 512)
      throw invalid(`The thinking budget ${b} is invalid. Please choose a value between 512 and 24576.`, path);
  }
}

function validateRequest(model: string, b: Record<string, unknown>): void {
  for (const key of Object.keys(b)) {
    if (
      ![
        'contents',
        'generationConfig',
        'safetySettings',
        'systemInstruction',
        'tools',
        'toolConfig',
        'cachedContent',
      ].includes(key)
    )
      throw invalid(`Invalid JSON payload received. Unknown name "${key}": Cannot find field.`, key);
  }
  const contents = b.contents;
  if (!Array.isArray(contents) || contents.length === 0)
    throw invalid('* GenerateContentRequest.contents: contents is not specified', 'contents');
  const g = (b.generationConfig ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(g)) {
    if (!GENERATION_FIELDS.has(key))
      throw invalid(
        `Invalid JSON payload received. Unknown name "${key}" at 'generation_config': Cannot find field.`,
        `generation_config.${snake(key)}`,
      );
  }
  if (g.responseSchema !== undefined && g.responseJsonSchema !== undefined)
    throw invalid('responseSchema and responseJsonSchema cannot both be set.', 'generation_config');
  if ((g.responseSchema ?? g.responseJsonSchema) !== undefined && g.responseMimeType !== 'application/json')
    throw invalid(
      'responseMimeType must be application/json when a response schema is set.',
      'generation_config.response_mime_type',
    );
  if (g.responseSchema !== undefined) validateSchema(g.responseSchema, 'generation_config.response_schema');
  if (g.maxOutputTokens !== undefined && (!Number.isInteger(g.maxOutputTokens) || (g.maxOutputTokens as number) < 1))
    throw invalid('max_output_tokens must be positive.', 'generation_config.max_output_tokens');
  if (g.temperature !== undefined && ((g.temperature as number) < 0 || (g.temperature as number) > 2))
    throw invalid('temperature must be between 0 and 2.', 'generation_config.temperature');
  if (g.candidateCount !== undefined && g.candidateCount !== 1)
    throw invalid('Only one candidate can be specified in the current model', 'generation_config.candidate_count');
  if (g.thinkingConfig !== undefined) validateThinking(model, g.thinkingConfig as Record<string, unknown>);
  if (b.safetySettings !== undefined) {
    if (!Array.isArray(b.safetySettings)) throw invalid('safety_settings must be a list.', 'safety_settings');
    b.safetySettings.forEach((s: { category?: string; threshold?: string }, i: number) => {
      if (!SAFETY_CATEGORIES.has(String(s.category)))
        throw invalid(
          `Invalid value at 'safety_settings[${i}].category' (type.googleapis.com/google.ai.generativelanguage.v1beta.HarmCategory), "${String(s.category)}"`,
          `safety_settings[${i}].category`,
        );
      if (!SAFETY_THRESHOLDS.has(String(s.threshold)))
        throw invalid(
          `Invalid value at 'safety_settings[${i}].threshold' (type.googleapis.com/google.ai.generativelanguage.v1beta.SafetySetting.HarmBlockThreshold), "${String(s.threshold)}"`,
          `safety_settings[${i}].threshold`,
        );
    });
  }
}

// ---------------------------------------------------------------------------------------------------------

interface GeminiPart {
  text?: string;
  inlineData?: { mimeType?: string; data?: string };
}

function record(model: string, req: IncomingMessage, url: URL, body: unknown): RecordedGeminiRequest {
  const header = req.headers['x-goog-api-key'];
  const b = (body ?? {}) as {
    contents?: { parts?: GeminiPart[] }[];
    generationConfig?: Record<string, unknown>;
    safetySettings?: unknown;
  };
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
    model,
    apiKey: typeof header === 'string' ? header : (url.searchParams.get('key') ?? undefined),
    prompt,
    images,
    generationConfig: b.generationConfig,
    safetySettings: b.safetySettings,
    body,
  };
}

function promptTokens(rec: RecordedGeminiRequest): number {
  const sizes = rec.images.map((i) => imageDimensions(i.data) ?? { width: 768, height: 768 });
  return estimateTokens(rec.prompt, sizes);
}

function errorBody(code: number, status: string, message: string): unknown {
  return { error: { code, message, status } };
}

function render(
  reply: FakeGeminiReply,
  rec: RecordedGeminiRequest,
  defaults: { thoughts: number },
): { status: number; body: unknown } {
  const prompt = promptTokens(rec);
  switch (reply.kind) {
    case 'verdict':
    case 'text': {
      const text = reply.kind === 'verdict' ? JSON.stringify(reply.verdict) : reply.text;
      const over = reply.usage ?? {};
      const promptTokenCount = over.promptTokenCount ?? prompt;
      const candidatesTokenCount = over.candidatesTokenCount ?? Math.ceil(text.length / 4);
      const thoughtsTokenCount = over.thoughtsTokenCount ?? reply.thoughtsTokenCount ?? defaults.thoughts;
      const maxOut = Number(rec.generationConfig?.maxOutputTokens ?? Infinity);
      // As the real API: thinking counts against maxOutputTokens, so a small limit cuts the answer off.
      if (thoughtsTokenCount + candidatesTokenCount > maxOut) {
        return render({ kind: 'maxTokens' }, rec, { thoughts: Math.min(thoughtsTokenCount, maxOut) });
      }
      const f = geminiFixture('verdict-with-thinking', {
        text,
        promptTokenCount,
        candidatesTokenCount,
        thoughtsTokenCount,
        totalTokenCount: over.totalTokenCount ?? promptTokenCount + candidatesTokenCount + thoughtsTokenCount,
        imageTokenCount: Math.max(0, promptTokenCount - Math.ceil(rec.prompt.length / 4)),
        textTokenCount: Math.ceil(rec.prompt.length / 4),
        model: `${rec.model}-fake-001`,
        responseId: `fake-${rec.at.toString(36)}`,
      });
      const body = f.body as { usageMetadata: Record<string, unknown> };
      if (!thoughtsTokenCount) delete body.usageMetadata.thoughtsTokenCount;
      return { status: 200, body };
    }
    case 'rateLimited': {
      const f = geminiFixture('quota-minute-429', { model: rec.model, retryDelay: reply.retryDelay ?? '2s' });
      return { status: f.status, body: f.body };
    }
    case 'dailyQuota': {
      const f = geminiFixture('quota-daily-429', { model: rec.model });
      return { status: f.status, body: f.body };
    }
    case 'error': {
      if (reply.status === 503 && !reply.message) {
        const f = geminiFixture('overloaded-503');
        return { status: f.status, body: f.body };
      }
      const status =
        reply.status === 503
          ? 'UNAVAILABLE'
          : reply.status === 500
            ? 'INTERNAL'
            : reply.status === 504
              ? 'DEADLINE_EXCEEDED'
              : reply.status === 403
                ? 'PERMISSION_DENIED'
                : reply.status === 404
                  ? 'NOT_FOUND'
                  : reply.status === 400
                    ? 'INVALID_ARGUMENT'
                    : 'UNKNOWN';
      return {
        status: reply.status,
        body: errorBody(reply.status, status, reply.message ?? 'An internal error has occurred.'),
      };
    }
    case 'blocked': {
      const f = geminiFixture('prompt-blocked', {
        blockReason: reply.reason ?? 'SAFETY',
        promptTokenCount: prompt,
        model: `${rec.model}-fake-001`,
      });
      return { status: 200, body: f.body };
    }
    case 'finish': {
      const f = geminiFixture('finish-blocked', {
        finishReason: reply.reason,
        promptTokenCount: prompt,
        model: `${rec.model}-fake-001`,
      });
      return { status: 200, body: f.body };
    }
    case 'maxTokens': {
      const thoughts = Number(rec.generationConfig?.maxOutputTokens ?? 1024);
      const f = geminiFixture('max-tokens-thinking', {
        promptTokenCount: prompt,
        thoughtsTokenCount: thoughts,
        totalTokenCount: prompt + thoughts,
        model: `${rec.model}-fake-001`,
      });
      return { status: 200, body: f.body };
    }
    case 'raw':
      return { status: reply.status, body: reply.body };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, {}, 'application/json; charset=UTF-8');
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const requests: RecordedGeminiRequest[] = [];
  const rejected: { model: string; status: number; message: string }[] = [];
  const modelLookups: string[] = [];
  let queue: FakeGeminiReply[] = [];
  let handler: FakeGeminiHandler | undefined;
  let fallback: FakeGeminiReply = options.defaultReply ?? geminiReply.noIncident();
  const served = new Set([...FAKE_GEMINI_MODELS, ...(options.models ?? [])]);
  const timers = new Set<NodeJS.Timeout>();
  const keyOk = (key: string | undefined) => options.apiKey === undefined || key === options.apiKey;
  const badKey = () => geminiFixture('api-key-invalid-400');
  const notFound = (model: string) => geminiFixture('model-not-found-404', { model });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const header = req.headers['x-goog-api-key'];
      const key = typeof header === 'string' ? header : (url.searchParams.get('key') ?? undefined);
      const get = /^\/v1beta\/models\/([^/:]+)$/.exec(url.pathname);
      if (req.method === 'GET' && get) {
        const model = decodeURIComponent(get[1]!);
        modelLookups.push(model);
        if (!keyOk(key)) return send(res, 400, badKey().body);
        if (!served.has(model)) return send(res, 404, notFound(model).body);
        return send(res, 200, {
          name: `models/${model}`,
          version: `${model}-fake-001`,
          displayName: model,
          inputTokenLimit: 1048576,
          outputTokenLimit: 65536,
          supportedGenerationMethods: ['generateContent', 'countTokens'],
          thinking: true,
        });
      }
      const raw = (await readBody(req)).toString('utf8');
      const match = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) {
        send(res, 404, errorBody(404, 'NOT_FOUND', `no route ${req.method} ${url.pathname}`));
        return;
      }
      const model = decodeURIComponent(match[1]!);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        send(res, 400, errorBody(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
        return;
      }
      const rec = record(model, req, url, body);
      if (!keyOk(rec.apiKey)) {
        requests.push(rec);
        return send(res, 400, badKey().body);
      }
      try {
        if (!served.has(model)) {
          const f = notFound(model);
          throw new Rejection(f.status, f.body);
        }
        validateRequest(model, (body ?? {}) as Record<string, unknown>);
      } catch (err) {
        if (!(err instanceof Rejection)) throw err;
        rejected.push({ model, status: err.status, message: err.message });
        return send(res, err.status, err.body);
      }
      const index = requests.length;
      requests.push(rec);
      const reply = queue.shift() ?? (handler ? handler(rec, index) : fallback);
      const { status, body: out } = render(reply, rec, { thoughts: options.thoughtsTokenCount ?? 0 });
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

  const port = await listenLocal(server);

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    rejected,
    modelLookups,
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
      rejected.length = 0;
      modelLookups.length = 0;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await closeServer(server);
    },
  };
}
