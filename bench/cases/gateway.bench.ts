import { randomBytes } from 'node:crypto';
import { geminiReply, makeTestJpeg } from '@vigint/testing';
import { defineCase, type Sample } from '../lib/bench-case';
import { startTsx } from '../lib/child-process';
import { load, type LoadResult } from '../lib/load';
import { ADMIN, freePort, startGatewayApp, startServices } from '../lib/stack';

const CONNECTIONS = 10;
const SECONDS = 4;

/**
 * Issue 8 §5: autocannon (10 connections, 4 s per figure, in the bench process) against the gateway app
 * (child process, real Redis and PostgreSQL, no worker: `Prefer: respond-async` only enqueues) and
 * against a bare Fastify server (bench/lib/bare-gateway.ts, also a child) doing the same parsing.
 * - /api/health: both ping Redis and PostgreSQL per request;
 * - a ~100 KB JPEG to /api/video/analyze as base64 JSON and as multipart. The gateway also checks the
 *   API key, rate-limits, probes the image (sharp), stores it in Redis and enqueues a BullMQ job.
 * The rate limit and the job quota are raised for the run (RATE_LIMIT_MAX, JOBS_PER_MINUTE) so that it measures work, not 429s.
 */
export default defineCase({
  name: 'gateway',
  description: 'autocannon: gateway vs bare Fastify on /api/health and a 100 KB frame upload (JSON base64, multipart)',
  runs: 2,
  timeoutMs: 4 * 60_000,
  async setup(ctx) {
    const s = await startServices(ctx, 'gateway', geminiReply.noIncident());
    const gw = await startGatewayApp(ctx, s, {
      RATE_LIMIT_MAX: '100000000',
      JOBS_PER_MINUTE: '100000000',
      JOB_BURST: '100000000',
      LOG_LEVEL: 'error',
    });
    const created = await fetch(`${gw.url}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN },
      body: JSON.stringify({ name: 'Bench', email: 'bench@vigint.test' }),
    });
    if (created.status !== 201) throw new Error(`admin/clients: ${created.status} ${await created.text()}`);
    const { api_key: apiKey } = (await created.json()) as { api_key: string };

    const port = await freePort();
    const bare = startTsx('bench/lib/bare-gateway.ts', [], {
      PORT: String(port),
      REDIS_URL: s.env.REDIS_URL,
      DATABASE_URL: s.env.DATABASE_URL,
    });
    ctx.defer(() => bare.stop(5000));
    await bare.waitFor(/bare gateway listening/, 60_000);
    const bareUrl = `http://127.0.0.1:${port}`;

    const frame = await makeTestJpeg({ width: 640, height: 480, noise: 40, quality: 90, seed: 3 });
    const json = JSON.stringify({ frame: frame.toString('base64'), buffer_type: 'short', camera_name: 'bench' });
    const boundary = `----vigintbench${randomBytes(8).toString('hex')}`;
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="buffer_type"\r\n\r\nshort\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="frame"; filename="frame.jpg"\r\n` +
          'Content-Type: image/jpeg\r\n\r\n',
      ),
      frame,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    ctx.log(`frame ${Math.round(frame.length / 1024)} KB, JSON body ${Math.round(json.length / 1024)} KB`);

    // One request each way, checked, before measuring.
    for (const [url, key] of [
      [gw.url, apiKey],
      [bareUrl, ''],
    ] as const) {
      for (const [ct, body] of [
        ['application/json', json],
        [`multipart/form-data; boundary=${boundary}`, multipart],
      ] as const) {
        const res = await fetch(`${url}/api/video/analyze`, {
          method: 'POST',
          headers: { 'content-type': ct, 'x-api-key': key, prefer: 'respond-async' },
          body,
        });
        if (res.status !== 202) throw new Error(`${url} ${ct}: ${res.status} ${await res.text()}`);
      }
    }
    // Warm-up (JIT, connection pools), not measured: 2 s per route and server.
    for (const base of [gw.url, bareUrl]) {
      await load({ url: `${base}/api/health`, connections: CONNECTIONS, duration: 2, signal: ctx.signal });
      for (const [ct, body] of [
        ['application/json', json],
        [`multipart/form-data; boundary=${boundary}`, multipart],
      ] as const) {
        await load({
          url: `${base}/api/video/analyze`,
          method: 'POST',
          headers: { 'content-type': ct, 'x-api-key': apiKey, prefer: 'respond-async' },
          body,
          connections: CONNECTIONS,
          duration: 2,
          signal: ctx.signal,
        });
      }
    }
    return { gw: gw.url, bare: bareUrl, apiKey, json, multipart, boundary };
  },
  async run({ gw, bare, apiKey, json, multipart, boundary }, ctx, index) {
    const targets = {
      health: (base: string) => ({ url: `${base}/api/health`, method: 'GET' as const }),
      json: (base: string) => ({
        url: `${base}/api/video/analyze`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, prefer: 'respond-async' },
        body: json,
      }),
      multipart: (base: string) => ({
        url: `${base}/api/video/analyze`,
        method: 'POST' as const,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'x-api-key': apiKey,
          prefer: 'respond-async',
        },
        body: multipart,
      }),
    };
    const results: Record<string, { vigint: LoadResult; bare: LoadResult }> = {};
    for (const [name, target] of Object.entries(targets)) {
      // Alternate which server goes first between runs.
      const order = index % 2 === 0 ? (['vigint', 'bare'] as const) : (['bare', 'vigint'] as const);
      const r: Partial<Record<'vigint' | 'bare', LoadResult>> = {};
      for (const side of order) {
        r[side] = await load({
          ...target(side === 'vigint' ? gw : bare),
          connections: CONNECTIONS,
          duration: SECONDS,
          signal: ctx.signal,
        });
      }
      results[name] = r as { vigint: LoadResult; bare: LoadResult };
      ctx.log(
        `${name}: vigint ${r.vigint!.rps.toFixed(0)} rps p99 ${r.vigint!.p99Ms} ms (non-2xx ${r.vigint!.non2xx}), ` +
          `bare ${r.bare!.rps.toFixed(0)} rps p99 ${r.bare!.p99Ms} ms`,
      );
      if (r.vigint!.non2xx > 0) ctx.log(`  vigint status codes ${JSON.stringify(r.vigint!.statusCodes)}`);
    }
    const samples: Sample[] = [];
    for (const [name, r] of Object.entries(results)) {
      samples.push(
        {
          metric: `gateway.${name}-rps`,
          value: r.vigint.rps,
          unit: 'req/s',
          baseline: r.bare.rps,
          goal: { on: 'ratio', op: '>=', target: 0.7 },
          detail: {
            connections: CONNECTIONS,
            seconds: SECONDS,
            vigintNon2xx: r.vigint.non2xx,
            vigintErrors: r.vigint.errors,
          },
        },
        { metric: `gateway.${name}-p99`, value: r.vigint.p99Ms, unit: 'ms', baseline: r.bare.p99Ms },
      );
    }
    samples.push({
      metric: 'gateway.multipart-vs-json',
      value: results.multipart!.vigint.rps,
      unit: 'req/s',
      baseline: results.json!.vigint.rps,
    });
    return samples;
  },
});
