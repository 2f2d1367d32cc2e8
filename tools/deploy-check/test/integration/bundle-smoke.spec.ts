import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@vigint/testing';
import { REPO_ROOT } from '../../src/index';

// What the images run, run here: the production bundles of the gateway and the worker, started
// with plain `node` (no tsx), against a database migrated by the bundled migration runner.
interface BuildApp {
  buildTarget(name: string, opts?: { outfile?: string }): Promise<{ outfile: string }>;
}
const { buildTarget } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/build-app.mjs')).href)) as BuildApp;

const here = join(REPO_ROOT, 'tools/deploy-check');
mkdirSync(join(here, 'tmp'), { recursive: true });
const work = mkdtempSync(join(here, 'tmp', 'smoke-'));
const admin = process.env.TEST_DATABASE_ADMIN_URL || 'postgresql://root@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const dbName = `vigint_deploy_smoke_${process.pid}`;
const prefix = `deploysmoke${process.pid}`;
const children: ChildProcess[] = [];

function databaseUrl(): string {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
}

/** Starts a bundle; resolves with the process once a stdout line matches `ready` (rejects if it exits first). */
function start(
  file: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [file], {
    cwd: work,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) resolve({ child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before ready:\n${out.slice(-2000)}`)));
  });
}

/** SIGTERM, as an orchestrator stops a container; resolves with how the process ended. */
function stop(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
}

/** A clean stop: exit 0, or the SIGTERM re-raised after shutdown (the usual "die by the same signal"). */
const cleanStop = (r: { code: number | null; signal: NodeJS.Signals | null }) =>
  r.code === 0 || (r.code === null && r.signal === 'SIGTERM');

beforeAll(async () => {
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${dbName}`]);
  const { outfile } = await buildTarget('db-migrate', { outfile: join(work, 'dist', 'db-migrate.mjs') });
  execFileSync(process.execPath, [outfile], {
    cwd: work,
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl(), VIGINT_MIGRATE_WITH: 'sql' },
  });
});

afterAll(async () => {
  await Promise.all(children.map((c) => stop(c)));
  execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
  const keys = execFileSync('redis-cli', ['-u', redisUrl, '--scan', '--pattern', `${prefix}:*`])
    .toString()
    .split('\n')
    .filter(Boolean);
  for (let i = 0; i < keys.length; i += 200)
    execFileSync('redis-cli', ['-u', redisUrl, 'DEL', ...keys.slice(i, i + 200)]);
  rmSync(work, { recursive: true, force: true });
});

describe('production bundles', () => {
  const env = () => ({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(),
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    SECRET_KEY: 'deploy-smoke-secret-key',
    VIDEO_LINK_SECRET: 'deploy-smoke-video-link-secret-0123456789',
    STORAGE_BACKEND: 'postgres',
    EMAIL_OUTBOX_DIR: join(work, 'outbox'),
    LOG_LEVEL: 'info',
  });

  it('the gateway bundle serves /api/health with Redis and PostgreSQL ok, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const { outfile } = await buildTarget('api-proxy', { outfile: join(work, 'api-proxy', 'main.js') });
    const { child } = await start(outfile, { ...env(), PORT: String(port), HOST: '127.0.0.1' }, /listening/i);
    const res = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; services: { redis: string; postgres: string } };
    expect(body.status).toBe('healthy');
    expect(body.services).toMatchObject({ redis: 'ok', postgres: 'ok' });
    expect(cleanStop(await stop(child))).toBe(true);
  });

  it('the worker bundle connects, reports ready, and stops cleanly on SIGTERM', async () => {
    const { outfile } = await buildTarget('worker', { outfile: join(work, 'worker', 'main.js') });
    const { child, output } = await start(outfile, env(), /"msg":"worker ready"/);
    expect(output()).toMatch(/"queues":\["analysis","media","alert","notice","maintenance"\]/);
    const how = await stop(child);
    expect(output()).toMatch(/"msg":"worker stopped"/);
    expect(cleanStop(how), JSON.stringify(how)).toBe(true);
  });
});
