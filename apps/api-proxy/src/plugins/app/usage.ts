import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { AnalysisResult } from '@vigint/contracts';
import { aiPrices } from '../../config';

/** What a call cost beyond the HTTP request: AI calls and alerts, read from job results. */
export interface CallUsage {
  aiRequests: number;
  inputTokens: number;
  outputTokens: number;
  alertsSent: number;
  cost: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    usage: CallUsage | null;
    bytesOut: number;
  }
}

/** Usage of an analysis: one AI request per model call, priced from the per-model table (USD per 1M tokens). */
export function analysisUsage(
  result: AnalysisResult,
  prices: Record<string, { input: number; output: number }>,
): CallUsage {
  const u: CallUsage = { aiRequests: 0, inputTokens: 0, outputTokens: 0, alertsSent: 0, cost: 0 };
  for (const call of result.ai_calls ?? []) {
    u.aiRequests += 1;
    u.inputTokens += call.usage.prompt_tokens;
    u.outputTokens += call.usage.completion_tokens;
    // The worker priced the call with the same table (thinking tokens included); older results are priced here.
    if (call.cost_usd !== undefined) {
      u.cost += call.cost_usd;
      continue;
    }
    const p = prices[call.model] ?? prices[call.model.replace(/^models\//, '')];
    if (p) u.cost += (call.usage.prompt_tokens * p.input + call.usage.completion_tokens * p.output) / 1_000_000;
  }
  return u;
}

export function addUsage(a: CallUsage | null, b: CallUsage): CallUsage {
  if (!a) return b;
  return {
    aiRequests: a.aiRequests + b.aiRequests,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    alertsSent: a.alertsSent + b.alertsSent,
    cost: a.cost + b.cost,
  };
}

/** The Redis counter of a client's calls refused with 429 on a UTC day (kept two days). */
export function refusedBucket(clientId: string, at: Date = new Date()): string {
  return `refused:${clientId}:${at.toISOString().slice(0, 10)}`;
}

/** Counts every authenticated call: a per-call row (earlier shape) and the per-day counters. */
async function usage(app: FastifyInstance): Promise<void> {
  const prices = aiPrices(app.config);
  app.decorate('aiPrices', prices);
  app.decorateRequest('usage', null);
  app.decorateRequest('bytesOut', 0);

  app.addHook('onSend', async (req, _reply, payload) => {
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) req.bytesOut = Buffer.byteLength(payload);
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const tenant = req.tenant;
    if (!tenant) return;
    if (reply.statusCode === 429) {
      // Refused: no row in PostgreSQL (a flood past the limits would write one per request), a counter in Redis.
      await app.svc.limits.count(refusedBucket(tenant.clientId)).catch(() => undefined);
      return;
    }
    const u = req.usage;
    const lenHeader = reply.getHeader('content-length');
    const bytesOut = req.bytesOut || (lenHeader ? Number(lenHeader) : 0);
    const endpoint = req.routeOptions.url ?? req.url.split('?')[0] ?? '';
    app.svc.repo
      .recordUsage({
        apiKeyId: tenant.apiKeyId,
        endpoint,
        method: req.method,
        statusCode: reply.statusCode,
        cost: u?.cost ?? 0,
        inputTokens: u?.inputTokens ?? 0,
        outputTokens: u?.outputTokens ?? 0,
        bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
        bytesOut: Number.isFinite(bytesOut) ? bytesOut : 0,
        aiRequests: u?.aiRequests ?? 0,
        alertsSent: u?.alertsSent ?? 0,
      })
      .catch((err: unknown) => req.log.warn({ err: (err as Error).message }, 'usage not recorded'));
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    aiPrices: Record<string, { input: number; output: number }>;
  }
}

export default fp(usage, { name: 'usage', dependencies: ['services'] });
