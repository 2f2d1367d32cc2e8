import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@vigint/contracts';
import { freePort, portOpen } from '@vigint/testing';
import { SECRET, startGateway, type Harness } from '../integration/gateway.harness';
import { b64, jpeg } from '../integration/media.fixtures';
import { startWorkerChild, type WorkerChild } from '../integration/worker.harness';

/*
 * Issue 9: Redis restarted during load, gateway and worker both on it. A private redis-server on a free
 * port, run with the settings production needs (appendonly yes, fsync always, noeviction) and SIGKILLed:
 * while it is down the gateway answers 503 fast (never 500, never a hang); it recovers by itself; every
 * job it accepted (202) before, during or after completes.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let dir: string;
let port: number;
let redis: ChildProcess | undefined;
let h: Harness;
let worker: WorkerChild | undefined;

async function startRedis(): Promise<void> {
  const proc = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'],
    ],
    { stdio: 'ignore' },
  );
  redis = proc;
  for (let i = 0; i < 100 && !(await portOpen(port)); i++) await sleep(100);
}

async function killRedis(): Promise<void> {
  const proc = redis;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-gw-redis-'));
  port = await freePort();
  await startRedis();
  const redisUrl = `redis://127.0.0.1:${port}`;
  h = await startGateway({ REDIS_URL: redisUrl, SYNC_WAIT_MS: '100', RATE_LIMIT_MAX: '100000' });
  worker = await startWorkerChild({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: h.prefix,
    DATABASE_URL: h.db.url,
    STORAGE_BACKEND: 'disk',
    STORAGE_DIR: h.storageDir,
    SECRET_KEY: SECRET,
    MEDIA_CONCURRENCY: '2',
    JOB_LOCK_MS: '3000',
    JOB_STALLED_INTERVAL_MS: '1000',
    EMAIL_OUTBOX_DIR: join(dir, 'outbox'),
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await killRedis();
  await rm(dir, { recursive: true, force: true });
});

describe('Redis SIGKILLed and restarted under load', () => {
  it('503 while down (fast, never 500), recovery by itself, and no accepted job lost', async () => {
    const frame = b64(await jpeg(96, 72));
    const results: Array<{ at: number; status: number; code?: string; ms: number; jobId?: string }> = [];
    let stop = false;

    // Three clients posting small video jobs (async: 202 + job id), paced so the worker keeps up.
    const client = async () => {
      while (!stop) {
        const t = Date.now();
        const r = await h.app.inject({
          method: 'POST',
          url: '/api/video/create',
          headers: { 'content-type': 'application/json', 'x-api-key': SECRET, prefer: 'respond-async' },
          payload: JSON.stringify({ frames: [frame, frame] }),
        });
        const body = r.json() as { job_id?: string; code?: string };
        results.push({ at: t, status: r.statusCode, code: body.code, ms: Date.now() - t, jobId: body.job_id });
        await sleep(r.statusCode === 202 ? 1_000 : 200);
      }
    };
    const load = Promise.all([client(), client(), client()]);
    // Phases end on counts (a loaded machine may take seconds for the first requests), each bounded in time.
    const until = async (done: () => boolean, maxMs: number) => {
      for (const end = Date.now() + maxMs; !done() && Date.now() < end;) await sleep(100);
    };
    const acceptedSince = (t: number) => results.filter((r) => r.at >= t && r.status === 202).length;
    await until(() => acceptedSince(0) >= 3, 60_000);
    const killedAt = Date.now();
    await killRedis();
    await sleep(5_000);
    const restartedAt = Date.now();
    await startRedis();
    await until(() => acceptedSince(restartedAt) >= 3, 30_000);
    stop = true;
    await load;

    const during = results.filter((r) => r.at > killedAt + 500 && r.at < restartedAt);
    const after = results.filter((r) => r.at > restartedAt);
    const accepted = results.filter((r) => r.status === 202);
    // Never anything but accepted or "dependency unavailable"; never a hang.
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([202, 503]));
    for (const r of results.filter((x) => x.status === 503)) expect(r.code).toBe(ErrorCode.DependencyUnavailable);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(10_000);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((r) => r.status === 503)).toBe(true);
    // Recovery by itself once Redis is back (within the 30 s the last phase allows).
    expect(after.filter((r) => r.status === 202).length).toBeGreaterThanOrEqual(3);
    expect(accepted.filter((r) => r.at < killedAt).length).toBeGreaterThan(0);

    // Every accepted job, before, around and after the crash, completes.
    const pending = new Set(accepted.map((r) => r.jobId!));
    const deadline = Date.now() + 120_000;
    while (pending.size > 0 && Date.now() < deadline) {
      for (const id of [...pending]) {
        const r = await h.app.inject({ method: 'GET', url: `/api/jobs/${id}`, headers: { 'x-api-key': SECRET } });
        const state = r.statusCode === 200 ? (r.json() as { state: string }).state : `http ${r.statusCode}`;
        if (state === 'completed') pending.delete(id);
        else if (state === 'failed' || r.statusCode === 404) throw new Error(`job ${id} lost: ${state} ${r.body}`);
      }
      if (pending.size > 0) await sleep(500);
    }
    expect([...pending]).toEqual([]);
  }, 240_000);
});
