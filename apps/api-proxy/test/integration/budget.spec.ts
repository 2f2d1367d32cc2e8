import { AnalysisStage, type AiCall } from '@vigint/contracts';
import { BudgetService } from '@vigint/alerting';
import { createDb, type Db } from '@vigint/db';
import { RedisSpendStore } from '@vigint/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieJar, csrfOf } from './console.fixtures';
import { ADMIN, startGateway, type Harness } from './gateway.harness';
import { refusedBucket } from '../../src/plugins/app/usage';

// The admin budget routes, the daily AI usage report (JSON and CSV) and the earlier /api/usage shape, with
// spend recorded the way a worker records it (BudgetService over the same Redis prefix and database).

let h: Harness;
let db: Db;
let redis: Redis;
let worker: BudgetService;
const clients: { id: string; key: string }[] = [];
const admin = { 'x-admin-key': ADMIN };

const call = (over: Partial<AiCall> = {}): AiCall => ({
  stage: AnalysisStage.Confirm,
  model: 'gemini-3.8-flash',
  images: 6,
  image_bytes: 60_000,
  usage: { prompt_tokens: 1600, completion_tokens: 700, total_tokens: 2300, thinking_tokens: 500 },
  duration_ms: 900,
  cost_usd: 0.003825,
  ...over,
});

beforeAll(async () => {
  h = await startGateway({ AI_BUDGET_DAILY_USD: '1', AI_BUDGET_MONTHLY_USD: '20' });
  db = createDb(h.db.url);
  redis = new Redis(h.config.REDIS_URL);
  worker = new BudgetService({
    store: new RedisSpendStore(redis, h.prefix),
    limits: db.aiBudget,
    usage: db.aiBudget,
    defaults: { dailyUsd: 1, monthlyUsd: 20 },
  });
  for (const name of ['alpha', 'beta']) {
    const r = await h.app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: admin,
      payload: { name, email: `${name}@budget.test` },
    });
    expect(r.statusCode).toBe(201);
    clients.push({ id: r.json().client_id, key: r.json().api_key });
  }
});

afterAll(async () => {
  redis?.disconnect();
  await db?.close();
  await h?.close();
});

describe('GET/PUT /admin/clients/{id}/budget', () => {
  it('shows the defaults, then the client caps, and what the workers have spent today', async () => {
    const id = clients[0]!.id;
    const first = await h.app.inject({ method: 'GET', url: `/admin/clients/${id}/budget`, headers: admin });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      client_id: id,
      stored: { daily_usd: null, monthly_usd: null },
      daily_usd: 1,
      monthly_usd: 20,
      source: { daily: 'default', monthly: 'default' },
      spent_day_usd: 0,
    });
    const put = await h.app.inject({
      method: 'PUT',
      url: `/admin/clients/${id}/budget`,
      headers: admin,
      payload: { daily_usd: 0.5, monthly_usd: null },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      daily_usd: 0.5,
      monthly_usd: 20,
      source: { daily: 'client', monthly: 'default' },
    });
    await worker.record(id, 0.3, [call()]);
    const after = (await h.app.inject({ method: 'GET', url: `/admin/clients/${id}/budget`, headers: admin })).json();
    expect(after.spent_day_usd).toBeCloseTo(0.3, 6);
    expect(after.spent_month_usd).toBeCloseTo(0.3, 6);
    // The worker reads the new cap from PostgreSQL: over 0.5 it stops calling the AI.
    await worker.record(id, 0.25, [call()]);
    expect(await worker.check(id)).toEqual({ allowed: false, period: 'day' });
    expect(await worker.check(clients[1]!.id)).toEqual({ allowed: true });
  });

  it('refuses bad bodies naming the field, unknown clients with 404, and client keys with 401', async () => {
    const id = clients[0]!.id;
    const neg = await h.app.inject({
      method: 'PUT',
      url: `/admin/clients/${id}/budget`,
      headers: admin,
      payload: { daily_usd: -1, monthly_usd: null },
    });
    expect(neg.statusCode).toBe(400);
    expect(neg.body).toContain('daily_usd');
    const missing = await h.app.inject({
      method: 'PUT',
      url: `/admin/clients/${id}/budget`,
      headers: admin,
      payload: { daily_usd: 1 },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('monthly_usd');
    const unknown = await h.app.inject({
      method: 'PUT',
      url: '/admin/clients/999999/budget',
      headers: admin,
      payload: { daily_usd: 1, monthly_usd: 1 },
    });
    expect(unknown.statusCode).toBe(404);
    expect(
      (await h.app.inject({ method: 'GET', url: '/admin/clients/999999/budget', headers: admin })).statusCode,
    ).toBe(404);
    const asClient = await h.app.inject({
      method: 'GET',
      url: `/admin/clients/${id}/budget`,
      headers: { 'x-api-key': clients[0]!.key },
    });
    expect(asClient.statusCode).toBe(401);
  });
});

describe('GET /api/usage/daily', () => {
  it('reports calls, tokens with thinking and cost per day, model and stage, as JSON and CSV, for the key client only', async () => {
    const [a, b] = clients;
    await worker.record(b!.id, 0.01, [
      call({
        stage: AnalysisStage.Screen,
        model: 'gemini-3.5-flash-lite',
        usage: { prompt_tokens: 800, completion_tokens: 60, total_tokens: 860, thinking_tokens: 0 },
        cost_usd: 0.00039,
      }),
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const r = await h.app.inject({ method: 'GET', url: '/api/usage/daily', headers: { 'x-api-key': a!.key } });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.client_id).toBe(a!.id);
    expect(body.rows).toEqual([
      {
        day: today,
        model: 'gemini-3.8-flash',
        stage: 'confirm',
        calls: 2,
        failed_calls: 0,
        prompt_tokens: 3200,
        completion_tokens: 1400,
        thinking_tokens: 1000,
        total_tokens: 4600,
        cost_usd: 0.00765,
      },
    ]);
    const csv = await h.app.inject({
      method: 'GET',
      url: `/api/usage/daily?format=csv&from=${today}&to=${today}`,
      headers: { 'x-api-key': b!.key },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain(`ai-usage-${today}-${today}.csv`);
    expect(csv.body.split('\r\n')).toEqual([
      'day,model,stage,calls,failed_calls,prompt_tokens,completion_tokens,thinking_tokens,total_tokens,cost_usd',
      `${today},gemini-3.5-flash-lite,screen,1,0,800,60,0,860,0.00039`,
      '',
    ]);
    const bad = await h.app.inject({
      method: 'GET',
      url: '/api/usage/daily?from=2026-02-31',
      headers: { 'x-api-key': a!.key },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'from' });
    const fmt = await h.app.inject({
      method: 'GET',
      url: '/api/usage/daily?format=xml',
      headers: { 'x-api-key': a!.key },
    });
    expect(fmt.statusCode).toBe(400);
  });

  it('leaves GET /api/usage exactly as the earlier clients read it', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/usage', headers: { 'x-api-key': clients[0]!.key } });
    expect(r.statusCode).toBe(200);
    expect(Object.keys(r.json()).sort()).toEqual([
      'api_key_id',
      'client_id',
      'client_name',
      'daily',
      'totals',
      'usage',
      'usage_count',
    ]);
    expect(Object.keys(r.json().totals).sort()).toEqual(['ai_requests', 'ai_tokens', 'alerts', 'cost', 'requests']);
  });
});

describe('console usage page', () => {
  it('shows the AI budget, the spend against it, that the cap is reached, and the month per model', async () => {
    const jar = cookieJar();
    const form = await h.app.inject({ method: 'GET', url: '/console/sign-in' });
    jar.take(form.headers['set-cookie']);
    const signIn = await h.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ api_key: clients[0]!.key, _csrf: csrfOf(form.body) }).toString(),
    });
    jar.take(signIn.headers['set-cookie']);
    const page = await h.app.inject({ method: 'GET', url: '/console/usage', headers: { cookie: jar.header() } });
    expect(page.statusCode).toBe(200);
    const html = page.body.replace(/\s+/g, ' ');
    // Client alpha: $0.55 spent today against its own $0.50 cap, $20 default for the month.
    expect(html).toMatch(/AI budget today<\/dt><dd>US\$0\.55 of US\$0\.50 · 100 %/);
    expect(html).toMatch(/AI budget this month<\/dt><dd>US\$0\.55 of US\$20\.00 · 3 %/);
    expect(html).toContain('id="budget-reached"');
    expect(html).toMatch(/<td>gemini-3\.8-flash<\/td><td>confirm<\/td><td>2<\/td><td>3200 \/ 1400<\/td><td>1000<\/td>/);
    // Beta's spend is not on alpha's page.
    expect(html).not.toContain('gemini-3.5-flash-lite');
    // The calls refused today (429s write no usage row): none yet, then the count of the day.
    expect(html).toContain('<dt>Calls refused today (limits)</dt><dd>0</dd>');
    for (let i = 0; i < 3; i++) await h.app.svc.limits.count(refusedBucket(clients[0]!.id));
    const again = await h.app.inject({ method: 'GET', url: '/console/usage', headers: { cookie: jar.header() } });
    expect(again.body.replace(/\s+/g, ' ')).toContain('<dt>Calls refused today (limits)</dt><dd>3</dd>');
  });
});
