import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '@vigint/contracts';
import type { Logger } from '@vigint/logger';
import { ApiError } from './api-error';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry-policy';

export type FetchLike = typeof globalThis.fetch;

export interface HttpTransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  fetch: FetchLike;
  log: Logger;
  /** Source of jitter; tests pin it. */
  random?: () => number;
}

/** A body rebuilt into a fresh fetch body on every attempt (FormData and strings can be sent again; streams cannot). */
export type RequestBody = { kind: 'json'; value: unknown } | { kind: 'form'; value: FormData };

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: RequestBody;
  headers?: Record<string, string>;
}

/** Per-call overrides. */
export interface CallOptions {
  /** Cancels the call (no retry follows a cancellation). */
  signal?: AbortSignal;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  /** Extra headers, e.g. `Prefer: respond-async`. */
  headers?: Record<string, string>;
}

export interface HttpReply<T> {
  status: number;
  headers: Headers;
  body: T;
  attempts: number;
}

type Expect = 'json' | 'stream';
type AttemptOutcome<T> = { ok: true; reply: HttpReply<T> } | { ok: false; error: ApiError; retryAfterMs?: number };

/**
 * fetch with a per-attempt timeout, bounded retries (network errors, timeouts, 429, 5xx) and the gateway's error
 * body turned into ApiError. The API key rides in `X-API-Key` only: never in the URL, never in a log line.
 */
export class HttpTransport {
  private readonly base: string;

  constructor(private readonly opts: HttpTransportOptions) {
    this.base = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  }

  url(path: string, query?: RequestSpec['query']): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  json<T>(spec: RequestSpec, call: CallOptions = {}): Promise<HttpReply<T>> {
    return this.run<T>(spec, call, 'json');
  }

  /** Resolves once the reply headers are in; the timeout covers only that part, the body streams at its own pace. */
  stream(spec: RequestSpec, call: CallOptions = {}): Promise<HttpReply<Readable>> {
    return this.run<Readable>(spec, call, 'stream');
  }

  private async run<T>(spec: RequestSpec, call: CallOptions, expect: Expect): Promise<HttpReply<T>> {
    const policy = { ...this.opts.retry, retries: call.retries ?? this.opts.retry.retries };
    const started = Date.now();
    const log = this.opts.log;
    for (let attempt = 1; ; attempt++) {
      const remaining = policy.maxElapsedMs - (Date.now() - started);
      const timeoutMs = Math.max(1, Math.min(call.timeoutMs ?? this.opts.timeoutMs, remaining));
      const t0 = Date.now();
      const outcome = await this.attempt<T>(spec, call, expect, attempt, timeoutMs);
      const durationMs = Date.now() - t0;
      if (outcome.ok) {
        log.debug(
          { method: spec.method, path: spec.path, status: outcome.reply.status, attempt, durationMs },
          'api call',
        );
        return outcome.reply;
      }
      const { error } = outcome;
      const retryable = error.kind !== 'http' || isRetryableStatus(error.status ?? 0);
      const retriesLeft = attempt <= policy.retries;
      let delayMs = backoffDelay(attempt - 1, policy, this.opts.random);
      // The server said when to come back: never sooner (jitter only ever adds to it).
      if (outcome.retryAfterMs !== undefined) delayMs = Math.max(delayMs, outcome.retryAfterMs);
      const budgetLeft = policy.maxElapsedMs - (Date.now() - started) - delayMs > 0;
      const fields = {
        method: spec.method,
        path: spec.path,
        status: error.status,
        code: error.code,
        attempt,
        durationMs,
      };
      if (!retryable || !retriesLeft || !budgetLeft) {
        log.debug({ ...fields, retryable, retriesLeft, budgetLeft }, 'api call failed');
        throw error;
      }
      log.warn({ ...fields, delayMs }, 'api call failed, retrying');
      await sleep(delayMs, undefined, call.signal ? { signal: call.signal } : undefined).catch(() => {
        throw call.signal?.reason ?? error;
      });
    }
  }

  private async attempt<T>(
    spec: RequestSpec,
    call: CallOptions,
    expect: Expect,
    attempt: number,
    timeoutMs: number,
  ): Promise<AttemptOutcome<T>> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new Error('timeout')), timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timer.signal]) : timer.signal;
    const where = { attempts: attempt, method: spec.method, path: spec.path };
    try {
      const headers: Record<string, string> = {
        accept: expect === 'json' ? 'application/json' : '*/*',
        'user-agent': this.opts.userAgent,
        'x-api-key': this.opts.apiKey,
        ...spec.headers,
        ...call.headers,
      };
      let body: string | FormData | undefined;
      if (spec.body?.kind === 'json') {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(spec.body.value);
      } else if (spec.body?.kind === 'form') {
        body = spec.body.value; // fetch sets the multipart boundary itself
      }
      const res = await this.opts.fetch(this.url(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        signal,
      });
      if (res.ok && expect === 'stream') {
        clearTimeout(timeout);
        const stream = res.body
          ? Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>, { signal: call.signal })
          : Readable.from([]);
        return { ok: true, reply: { status: res.status, headers: res.headers, body: stream as T, attempts: attempt } };
      }
      const text = await res.text();
      const parsed = parseBody(text, res.headers.get('content-type'));
      if (res.ok) {
        return { ok: true, reply: { status: res.status, headers: res.headers, body: parsed as T, attempts: attempt } };
      }
      const error = ApiError.fromReply(res.status, parsed, where);
      return { ok: false, error, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) };
    } catch (err) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (timer.signal.aborted) {
        const message = `${spec.method} ${spec.path}: no reply within ${timeoutMs} ms`;
        return {
          ok: false,
          error: new ApiError(ErrorCode.Timeout, message, { ...where, kind: 'timeout', cause: err }),
        };
      }
      const reason = networkReason(err);
      const message = `${spec.method} ${spec.path}: API server unreachable (${reason})`;
      const error = new ApiError(ErrorCode.DependencyUnavailable, message, { ...where, kind: 'network', cause: err });
      return { ok: false, error };
    } finally {
      clearTimeout(timeout);
    }
  }
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return null;
  if (contentType?.includes('json') || /^[[{]/.test(text.trimStart())) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** undici hides the socket error in `cause` (`TypeError: fetch failed`, cause ECONNREFUSED...). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
