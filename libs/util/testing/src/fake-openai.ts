import { createServer, type IncomingMessage, type Server } from 'node:http';
import { imageDimensions, INCIDENT_VERDICT, NO_INCIDENT_VERDICT } from './fake-gemini';
import { closeServer, listenLocal, loadFixture, readBody, sendJson, type RecordedFixture } from './stand-in';

/*
 * A local HTTP server speaking the part of the OpenAI Chat Completions API Vigint uses, at least as strict as
 * api.openai.com (platform.openai.com/docs/api-reference/chat/create): `POST /v1/chat/completions` and
 * `GET /v1/models`, key as `Authorization: Bearer`. It validates the model, the messages and their image
 * data URLs, the top-level fields, `response_format` json_schema with the strict-mode rules, and the
 * reasoning-model rules (max_completion_tokens, default temperature, reasoning_effort levels), and answers
 * with OpenAI's error shape `{error: {message, type, param, code}}`. `flavor` switches the not-found reply to
 * Ollama's or vLLM's recorded shape. Replies come from `fixtures/openai/*.json`, each naming its source.
 */

type Timing = { delayMs?: number };
type UsageOpts = Timing & { promptTokens?: number; completionTokens?: number; reasoningTokens?: number };

export type FakeOpenAiReply = Timing &
  (
    | {
        kind: 'verdict';
        verdict: Record<string, unknown>;
        promptTokens?: number;
        completionTokens?: number;
        reasoningTokens?: number;
      }
    | { kind: 'text'; text: string; reasoningTokens?: number }
    /** Structured Outputs refusal: message.refusal set, content null. */
    | { kind: 'refusal' }
    /** finish_reason length with nothing usable (reasoning took the whole budget). */
    | { kind: 'length' }
    | { kind: 'contentFilter' }
    /** 429 per-minute limit; `reset` as OpenAI writes durations ("1s", "6m0s"). */
    | { kind: 'rateLimited'; reset?: string; retryAfter?: string }
    /** 429 requests per day (RPD). */
    | { kind: 'dailyLimit'; reset?: string }
    | { kind: 'insufficientQuota' }
    | { kind: 'error'; status: number }
    | { kind: 'raw'; status: number; body: unknown; headers?: Record<string, string> }
  );

export const openAiReply = {
  verdict: (verdict: Record<string, unknown>, opts: UsageOpts = {}): FakeOpenAiReply => ({
    kind: 'verdict',
    verdict,
    ...opts,
  }),
  noIncident: (opts: UsageOpts = {}): FakeOpenAiReply => ({ kind: 'verdict', verdict: NO_INCIDENT_VERDICT, ...opts }),
  incident: (over: Record<string, unknown> = {}, opts: UsageOpts = {}): FakeOpenAiReply => ({
    kind: 'verdict',
    verdict: { ...INCIDENT_VERDICT, ...over },
    ...opts,
  }),
  text: (text: string, opts: UsageOpts = {}): FakeOpenAiReply => ({ kind: 'text', text, ...opts }),
  refusal: (): FakeOpenAiReply => ({ kind: 'refusal' }),
  length: (): FakeOpenAiReply => ({ kind: 'length' }),
  contentFilter: (): FakeOpenAiReply => ({ kind: 'contentFilter' }),
  rateLimited: (reset = '1s', opts: Timing & { retryAfter?: string } = {}): FakeOpenAiReply => ({
    kind: 'rateLimited',
    reset,
    ...opts,
  }),
  dailyLimit: (reset = '6h12m0s'): FakeOpenAiReply => ({ kind: 'dailyLimit', reset }),
  insufficientQuota: (): FakeOpenAiReply => ({ kind: 'insufficientQuota' }),
  error: (status = 503, opts: Timing = {}): FakeOpenAiReply => ({ kind: 'error', status, ...opts }),
  raw: (status: number, body: unknown, headers?: Record<string, string>): FakeOpenAiReply => ({
    kind: 'raw',
    status,
    body,
    ...(headers ? { headers } : {}),
  }),
};

/** Models the fake serves unless told otherwise: OpenAI names and common local vision models (Ollama tags). */
export const FAKE_OPENAI_MODELS = [
  'gpt-5-mini',
  'gpt-5-nano',
  'gpt-5.1',
  'gpt-4.1-mini',
  'gpt-4o-mini',
  'o4-mini',
  'qwen2.5vl:7b',
  'gemma3:4b',
  'llava:7b',
];

export interface RecordedOpenAiRequest {
  at: number;
  model: string;
  apiKey: string | undefined;
  prompt: string;
  images: { mimeType: string; bytes: number; data: Buffer }[];
  body: Record<string, unknown>;
}

export type FakeOpenAiHandler = (req: RecordedOpenAiRequest, index: number) => FakeOpenAiReply;

export interface FakeOpenAi {
  /** `http://127.0.0.1:<port>/v1`: pass as AI_BASE_URL. */
  readonly baseUrl: string;
  readonly requests: RecordedOpenAiRequest[];
  readonly requestCount: number;
  /** Requests refused by validation, with the status and message sent. */
  readonly rejected: { model: string; status: number; message: string; param?: string | null }[];
  readonly modelLists: number;
  enqueue(...replies: FakeOpenAiReply[]): void;
  setHandler(handler: FakeOpenAiHandler | undefined): void;
  setDefault(reply: FakeOpenAiReply): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** When set, other keys (or none) get 401 invalid_api_key. */
  apiKey?: string;
  models?: string[];
  /** Which server's recorded not-found body to answer with (default openai). */
  flavor?: 'openai' | 'ollama' | 'vllm';
  defaultReply?: FakeOpenAiReply;
  /** Reasoning tokens each verdict reports unless the reply says otherwise (default 0). */
  reasoningTokens?: number;
}

// ---------------------------------------------------------------------------------------------------------

export type OpenAiFixture = RecordedFixture;

/** A fixture of fixtures/openai with its `{{name}}` placeholders filled. */
export function openAiFixture(name: string, vars: Record<string, unknown> = {}): OpenAiFixture {
  return loadFixture('openai', name, vars);
}

class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { message?: string; param?: string | null } } | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(
      ((body as { error?: { message?: string } }).error?.message ?? (body as { message?: string }).message) ||
        `HTTP ${status}`,
    );
  }
}

function invalid(message: string, param: string | null, code: string | null = null): Rejection {
  return new Rejection(400, { error: { message, type: 'invalid_request_error', param, code } });
}

/** Top-level fields of the create-chat-completion request (api-reference/chat/create). */
const REQUEST_FIELDS = new Set([
  'model',
  'messages',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
]);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const IMAGE_MIME = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
/** Keywords strict mode accepts (guides/structured-outputs#supported-schemas). */
const STRICT_KEYWORDS = new Set([
  'type',
  'description',
  'enum',
  'const',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'anyOf',
  '$defs',
  '$ref',
  'title',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

function isReasoning(model: string): boolean {
  return /^(o\d+|gpt-5)/.test(model);
}

function strictSchemaError(name: string, context: string[], what: string): Rejection {
  const f = openAiFixture('schema-not-strict-400', {
    name,
    context: context.map((c) => `'${c}'`).join(', '),
    what,
  });
  return new Rejection(f.status, f.body as Record<string, unknown>);
}

function validateStrictSchema(name: string, s: unknown, context: string[]): void {
  if (!s || typeof s !== 'object' || Array.isArray(s))
    throw strictSchemaError(name, context, 'schema must be an object');
  const schema = s as Record<string, unknown>;
  for (const key of Object.keys(schema))
    if (!STRICT_KEYWORDS.has(key)) throw strictSchemaError(name, context, `'${key}' is not permitted`);
  if (schema.type === 'object' || schema.properties) {
    if (schema.additionalProperties !== false)
      throw strictSchemaError(name, context, "'additionalProperties' is required to be supplied and to be false");
    const props = Object.keys((schema.properties as object | undefined) ?? {});
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : undefined;
    const missing = props.filter((p) => !required?.includes(p));
    if (!required || missing.length > 0)
      throw strictSchemaError(
        name,
        context,
        `'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0] ?? props[0]}'`,
      );
    for (const [k, v] of Object.entries((schema.properties as Record<string, unknown>) ?? {}))
      validateStrictSchema(name, v, [...context, 'properties', k]);
  }
  if (schema.items !== undefined) validateStrictSchema(name, schema.items, [...context, 'items']);
  if (Array.isArray(schema.anyOf))
    schema.anyOf.forEach((a, i) => validateStrictSchema(name, a, [...context, 'anyOf', String(i)]));
}

function validateResponseFormat(rf: unknown): void {
  if (!rf || typeof rf !== 'object')
    throw invalid("Invalid type for 'response_format': expected an object.", 'response_format', 'invalid_type');
  const f = rf as { type?: unknown; json_schema?: { name?: unknown; schema?: unknown; strict?: unknown } };
  if (!['text', 'json_object', 'json_schema'].includes(String(f.type)))
    throw invalid(
      `Invalid value: '${String(f.type)}'. Supported values are: 'json_object', 'json_schema', and 'text'.`,
      'response_format.type',
      'invalid_value',
    );
  if (f.type !== 'json_schema') return;
  const js = f.json_schema;
  if (!js || typeof js !== 'object')
    throw invalid(
      "Missing required parameter: 'response_format.json_schema'.",
      'response_format.json_schema',
      'missing_required_parameter',
    );
  if (typeof js.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(js.name))
    throw invalid(
      "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
      'response_format.json_schema.name',
      'invalid_value',
    );
  if (js.strict === true) validateStrictSchema(js.name, js.schema, []);
}

function validateMessages(messages: unknown): { prompt: string; images: RecordedOpenAiRequest['images'] } {
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  const texts: string[] = [];
  const images: RecordedOpenAiRequest['images'] = [];
  messages.forEach((m: { role?: unknown; content?: unknown }, i: number) => {
    if (!ROLES.has(String(m?.role)))
      throw invalid(
        `Invalid value: '${String(m?.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function' and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    if (typeof m.content === 'string') return void texts.push(m.content);
    if (!Array.isArray(m.content))
      throw invalid(
        `Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`,
        `messages[${i}].content`,
        'invalid_type',
      );
    m.content.forEach(
      (p: { type?: unknown; text?: unknown; image_url?: { url?: unknown; detail?: unknown } }, j: number) => {
        const at = `messages[${i}].content[${j}]`;
        if (p?.type === 'text') {
          if (typeof p.text !== 'string')
            throw invalid(`Missing required parameter: '${at}.text'.`, `${at}.text`, 'missing_required_parameter');
          return void texts.push(p.text);
        }
        if (p?.type !== 'image_url')
          throw invalid(
            `Invalid value: '${String(p?.type)}'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', 'audio', and 'file'.`,
            `${at}.type`,
            'invalid_value',
          );
        if (m.role !== 'user')
          throw invalid(
            `Image URLs are only allowed for messages with role 'user', but this message with role '${String(m.role)}' contains an image URL.`,
            `${at}`,
            'invalid_value',
          );
        const url = p.image_url?.url;
        if (typeof url !== 'string')
          throw invalid(
            `Missing required parameter: '${at}.image_url.url'.`,
            `${at}.image_url.url`,
            'missing_required_parameter',
          );
        if (p.image_url?.detail !== undefined && !['auto', 'low', 'high'].includes(String(p.image_url.detail)))
          throw invalid(
            `Invalid value: '${String(p.image_url.detail)}'. Supported values are: 'auto', 'low', and 'high'.`,
            `${at}.image_url.detail`,
            'invalid_value',
          );
        const m2 = /^data:([^;,]+);base64,(.*)$/s.exec(url);
        if (!m2)
          throw invalid(
            `Invalid '${at}.image_url.url'. Expected a valid URL or a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value that is neither.`,
            `${at}.image_url.url`,
            'invalid_value',
          );
        if (!IMAGE_MIME.has(m2[1]!))
          throw invalid(
            `Invalid MIME type. Only image types are supported. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '${m2[1]}'.`,
            `${at}.image_url.url`,
            'invalid_image_format',
          );
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(m2[2]!))
          throw invalid(`Invalid base64 image_url in ${at}.`, `${at}.image_url.url`, 'invalid_base64');
        const data = Buffer.from(m2[2]!, 'base64');
        if (!imageDimensions(data))
          throw invalid(
            'You uploaded an unsupported image. Please make sure your image is valid.',
            null,
            'image_parse_error',
          );
        images.push({ mimeType: m2[1]!, bytes: data.length, data });
      },
    );
  });
  return { prompt: texts.join('\n'), images };
}

function validateRequest(b: Record<string, unknown>): void {
  for (const key of Object.keys(b))
    if (!REQUEST_FIELDS.has(key)) throw invalid(`Unrecognized request argument supplied: ${key}`, null);
  const model = String(b.model);
  if (b.stream === true) throw invalid('This fake does not stream; Vigint never asks it to.', 'stream');
  if (b.max_tokens !== undefined && b.max_completion_tokens !== undefined)
    throw invalid('max_tokens and max_completion_tokens cannot both be set.', 'max_tokens', 'invalid_request_error');
  for (const f of ['max_tokens', 'max_completion_tokens'])
    if (b[f] !== undefined && (!Number.isInteger(b[f]) || (b[f] as number) < 1))
      throw invalid(
        `Invalid '${f}': integer below minimum value. Expected a value >= 1, but got ${String(b[f])} instead.`,
        f,
        'integer_below_min_value',
      );
  if (b.temperature !== undefined && (typeof b.temperature !== 'number' || b.temperature < 0 || b.temperature > 2))
    throw invalid(
      `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${String(b.temperature)} instead.`,
      'temperature',
      'decimal_above_max_value',
    );
  if (isReasoning(model)) {
    if (b.max_tokens !== undefined)
      throw invalid(
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        'max_tokens',
        'unsupported_parameter',
      );
    if (b.temperature !== undefined && b.temperature !== 1)
      throw invalid(
        `Unsupported value: 'temperature' does not support ${String(b.temperature)} with this model. Only the default (1) value is supported.`,
        'temperature',
        'unsupported_value',
      );
    if (b.reasoning_effort !== undefined) {
      const levels = /^o\d+/.test(model)
        ? ['low', 'medium', 'high']
        : /^gpt-5\.\d+/.test(model)
          ? ['none', 'low', 'medium', 'high']
          : ['minimal', 'low', 'medium', 'high'];
      if (!levels.includes(String(b.reasoning_effort)))
        throw invalid(
          `Unsupported value: 'reasoning_effort' does not support '${String(b.reasoning_effort)}' with this model. Supported values are: ${levels.map((l) => `'${l}'`).join(', ')}.`,
          'reasoning_effort',
          'unsupported_value',
        );
    }
  } else if (b.reasoning_effort !== undefined) {
    throw invalid(
      "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      'reasoning_effort',
      'unsupported_parameter',
    );
  }
  if (b.response_format !== undefined) validateResponseFormat(b.response_format);
}

// ---------------------------------------------------------------------------------------------------------

/** Rough OpenAI image token count: 85 + 170 per 512-px tile, plus ~4 characters per text token. */
function promptTokens(rec: RecordedOpenAiRequest): number {
  let t = Math.ceil(rec.prompt.length / 4);
  for (const img of rec.images) {
    const d = imageDimensions(img.data) ?? { width: 512, height: 512 };
    t += 85 + 170 * Math.ceil(d.width / 512) * Math.ceil(d.height / 512);
  }
  return t;
}

function maxTokensOf(b: Record<string, unknown>): number {
  return Number(b.max_completion_tokens ?? b.max_tokens ?? Infinity);
}

function render(reply: FakeOpenAiReply, rec: RecordedOpenAiRequest, defaults: { reasoning: number }): OpenAiFixture {
  const prompt = promptTokens(rec);
  const common = { id: rec.at.toString(36), created: Math.floor(rec.at / 1000), model: `${rec.model}-fake-2026-12-01` };
  switch (reply.kind) {
    case 'verdict':
    case 'text': {
      const content = reply.kind === 'verdict' ? JSON.stringify(reply.verdict) : reply.text;
      const visible = (reply.kind === 'verdict' ? reply.completionTokens : undefined) ?? Math.ceil(content.length / 4);
      const reasoning = reply.reasoningTokens ?? defaults.reasoning;
      const promptTok = (reply.kind === 'verdict' ? reply.promptTokens : undefined) ?? prompt;
      const max = maxTokensOf(rec.body);
      // As the real API: reasoning counts against the output limit, so a small limit cuts the answer off.
      const cut = reasoning + visible > max;
      const completion = cut ? max : reasoning + visible;
      return openAiFixture('chat-completion-verdict', {
        ...common,
        content: cut ? '' : content,
        finish_reason: cut ? 'length' : 'stop',
        prompt_tokens: promptTok,
        completion_tokens: completion,
        total_tokens: promptTok + completion,
        reasoning_tokens: Math.min(reasoning, completion),
      });
    }
    case 'length': {
      const max = Math.min(maxTokensOf(rec.body), 4096);
      return openAiFixture('chat-completion-verdict', {
        ...common,
        content: '',
        finish_reason: 'length',
        prompt_tokens: prompt,
        completion_tokens: max,
        total_tokens: prompt + max,
        reasoning_tokens: max,
      });
    }
    case 'contentFilter':
      return openAiFixture('chat-completion-verdict', {
        ...common,
        content: '',
        finish_reason: 'content_filter',
        prompt_tokens: prompt,
        completion_tokens: 0,
        total_tokens: prompt,
        reasoning_tokens: 0,
      });
    case 'refusal':
      return openAiFixture('refusal', { ...common, prompt_tokens: prompt, total_tokens: prompt + 11 });
    case 'rateLimited': {
      const f = openAiFixture('rate-limit-tpm-429', { model: rec.model, reset: reply.reset ?? '1s' });
      return reply.retryAfter ? { ...f, headers: { ...f.headers, 'retry-after': reply.retryAfter } } : f;
    }
    case 'dailyLimit':
      return openAiFixture('rate-limit-rpd-429', { model: rec.model, reset: reply.reset ?? '6h12m0s' });
    case 'insufficientQuota':
      return openAiFixture('insufficient-quota-429');
    case 'error':
      if (reply.status === 503) return openAiFixture('overloaded-503');
      if (reply.status === 500) return openAiFixture('server-error-500');
      return {
        source: 'fake',
        note: '',
        status: reply.status,
        body: {
          error: {
            message: `HTTP ${reply.status}`,
            type: reply.status >= 500 ? 'server_error' : 'invalid_request_error',
            param: null,
            code: null,
          },
        },
      };
    case 'raw':
      return { source: 'test', note: '', status: reply.status, body: reply.body, headers: reply.headers };
  }
}

const send = sendJson;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      null,
    );
  }
}

export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const models = new Set(options.models ?? FAKE_OPENAI_MODELS);
  const flavor = options.flavor ?? 'openai';
  let queue: FakeOpenAiReply[] = [];
  let handler: FakeOpenAiHandler | undefined;
  let fallback: FakeOpenAiReply = options.defaultReply ?? openAiReply.noIncident();
  const requests: RecordedOpenAiRequest[] = [];
  const rejected: FakeOpenAi['rejected'] = [];
  let modelLists = 0;

  const keyOf = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const checkKey = (req: IncomingMessage) => {
    if (options.apiKey === undefined || keyOf(req) === options.apiKey) return;
    const k = keyOf(req) ?? '';
    const f = openAiFixture('invalid-api-key-401', { masked: `${k.slice(0, 3)}*****${k.slice(-4)}` });
    throw new Rejection(f.status, f.body as Record<string, unknown>);
  };
  const notFound = (model: string) => {
    const name =
      flavor === 'ollama'
        ? 'ollama-model-not-found-404'
        : flavor === 'vllm'
          ? 'vllm-model-not-found-404'
          : 'model-not-found-404';
    const f = openAiFixture(name, { model });
    return new Rejection(f.status, f.body as Record<string, unknown>);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let model = '';
      try {
        if (req.method === 'GET' && url.pathname === '/v1/models') {
          checkKey(req);
          modelLists++;
          return send(res, 200, {
            object: 'list',
            data: [...models].map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })),
          });
        }
        if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions')
          throw new Rejection(404, {
            error: {
              message: `Invalid URL (${req.method} ${url.pathname})`,
              type: 'invalid_request_error',
              param: null,
              code: null,
            },
          });
        checkKey(req);
        const body = (await readJson(req)) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body))
          throw invalid('The request body must be a JSON object.', null);
        if (typeof body.model !== 'string' || !body.model) throw invalid('you must provide a model parameter', null);
        model = body.model;
        if (!models.has(model)) throw notFound(model);
        const { prompt, images } = validateMessages(body.messages);
        validateRequest(body);
        const rec: RecordedOpenAiRequest = { at: Date.now(), model, apiKey: keyOf(req), prompt, images, body };
        requests.push(rec);
        const reply = queue.shift() ?? handler?.(rec, requests.length - 1) ?? fallback;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        const out = render(reply, rec, { reasoning: options.reasoningTokens ?? 0 });
        send(res, out.status, out.body, out.headers ?? {});
      } catch (err) {
        if (err instanceof Rejection) {
          rejected.push({
            model,
            status: err.status,
            message: err.message,
            param: (err.body as { error?: { param?: string | null } }).error?.param,
          });
          return send(res, err.status, err.body, err.headers);
        }
        send(res, 500, { error: { message: (err as Error).message, type: 'server_error', param: null, code: null } });
      }
    })();
  });
  const port = await listenLocal(server);
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get requestCount() {
      return requests.length;
    },
    rejected,
    get modelLists() {
      return modelLists;
    },
    enqueue: (...r) => void queue.push(...r),
    setHandler: (h) => void (handler = h),
    setDefault: (r) => void (fallback = r),
    reset: () => {
      queue = [];
      handler = undefined;
      fallback = options.defaultReply ?? openAiReply.noIncident();
      requests.length = 0;
      rejected.length = 0;
      modelLists = 0;
    },
    close: () => closeServer(server),
  };
}
