// autocannon ships no types; this is the part of its programmatic API we use.
// @ts-expect-error no declaration file
import autocannonUntyped from 'autocannon';

interface AutocannonOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  connections: number;
  duration: number;
  signal?: AbortSignal;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}

const autocannon = autocannonUntyped as (opts: AutocannonOptions) => Promise<AutocannonResult> & { stop?: () => void };

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

/** Fixed connections for a fixed time (seconds) against one URL; rps counts only 2xx replies. */
export async function load(opts: AutocannonOptions): Promise<LoadResult> {
  const r = await autocannon({ ...opts, duration: opts.duration });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count;
  const ok = r.requests.total - r.non2xx - r.errors - r.timeouts;
  return {
    rps: Math.max(0, ok) / opts.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    statusCodes,
  };
}
