import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startWorkerProcess, waitForPort, type WorkerProcess } from '@vigint/testing';

/*
 * Real processes for fault tests: the worker itself, and private Redis / PostgreSQL instances that a test
 * may kill and restart. The shared services on 6379 and 5432 are never touched.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';

export type RunningWorker = WorkerProcess;

/**
 * The worker as a real process (`node --import tsx`), JSON log lines collected. Own process group: a SIGKILL
 * takes ffmpeg down with the worker, as a crashed container would.
 */
export function startWorker(env: Record<string, string>): RunningWorker {
  return startWorkerProcess(env, { detached: true, graceMs: 30_000 });
}

/** SIGTERM (the group gets SIGKILL after 30 s) or SIGKILL at once; resolves once the worker has exited. */
export async function stopWorker(w: RunningWorker, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  await (signal === 'SIGKILL' ? w.kill() : w.stop());
}

export const logsFor = (w: RunningWorker, jobId: string, msg: string) =>
  w.lines.filter((l) => l.jobId === jobId && l.msg === msg);

/** Polls `fn` every 50 ms until it returns something truthy; bounded by `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: the harshest stop; with appendfsync always nothing acknowledged is lost. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A private redis-server with the persistence production needs for BullMQ (appendonly yes, fsync always,
 * noeviction): restarted on the same port and directory, it comes back with every job.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const start = async () => {
    proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    const p = proc;
    exited = new Promise<void>((r) => p.once('exit', () => r()));
    await waitForPort(port, 10_000);
  };
  const kill = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async close() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivatePostgres {
  port: number;
  /** URL of the `postgres` maintenance database (role root, trust auth). */
  adminUrl: string;
  urlFor(database: string): string;
  /** `pg_ctl stop -m <mode>`: immediate is a crash (recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  close(): Promise<void>;
}

function asPostgres(args: string[]): void {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr || r.stdout || r.error?.message}`);
}

/** A private PostgreSQL 15 cluster (initdb in a temp dir, run as the postgres user, loopback only). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-pg-'));
  const data = join(dir, 'data');
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, gid);
  const port = await freePort();
  asPostgres([`${PG_BIN}/initdb`, '-D', data, '-U', 'root', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  let running = false;
  const start = () => {
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-l', join(dir, 'log'), '-o', opts, '-w', '-t', '30', 'start']);
    running = true;
  };
  const stop = (mode: 'fast' | 'immediate' = 'fast') => {
    if (!running) return;
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    running = false;
  };
  start();
  const urlFor = (database: string) => `postgresql://root@127.0.0.1:${port}/${database}`;
  return {
    port,
    adminUrl: urlFor('postgres'),
    urlFor,
    stop,
    start,
    async close() {
      try {
        stop('immediate');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
