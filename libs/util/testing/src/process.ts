import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/*
 * Process helpers for tests that start real servers and apps: a free port, waiting for a port, and starting and
 * stopping child processes (SIGTERM, then SIGKILL after a grace period) so no test leaves a process behind.
 */

/** A free TCP port on 127.0.0.1 (closed again at once; the caller's server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Resolves once 127.0.0.1:`port` accepts connections; throws after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never opened`);
}

export interface StopOptions {
  /** How long SIGTERM has before SIGKILL. */
  graceMs?: number;
  /** Signal the child's whole process group (the child was spawned with `detached: true`). */
  group?: boolean;
}

/** SIGTERM → `graceMs` → SIGKILL; resolves once the child has exited (at once when it already has). */
export function stopChild(child: ChildProcess | undefined, { graceMs = 3000, group = false }: StopOptions = {}) {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const pid = child.pid;
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill('SIGTERM');
  });
}

export interface ChildService {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The latest stdout and stderr chunks (at most `keepChunks`), for a failing test's message. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface TsxChildOptions {
  env?: Record<string, string>;
  cwd?: string;
  args?: string[];
  /** How many output chunks to keep (oldest dropped first). */
  keepChunks?: number;
  /** SIGTERM → SIGKILL grace on `stop()`. */
  graceMs?: number;
  /** Own process group, signalled as a whole on `stop()` (children of the child go with it). */
  detached?: boolean;
}

/** A TypeScript entry point (an app's `src/main.ts`) as a child process, run as `nx serve` runs it (node + tsx). */
export function startTsxChild(name: string, script: string, options: TsxChildOptions = {}): ChildService {
  const { env = {}, cwd = process.cwd(), args = [], keepChunks = 400, graceMs = 10_000, detached = false } = options;
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > keepChunks) output.shift();
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return { name, proc, output, exited, stop: () => stopChild(proc, { graceMs, group: detached }) };
}

/**
 * Resolves once `<baseUrl>/api/health` answers 2xx (the health route of api-proxy); throws with the child's output
 * when it exits first or after `timeoutMs`.
 */
export async function waitForHealthy(baseUrl: string, service: ChildService, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => (exited = true));
  while (Date.now() < end) {
    if (exited) throw new Error(`${service.name} exited:\n${service.output.join('')}`);
    try {
      const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${service.name} not healthy after ${timeoutMs} ms:\n${service.output.join('')}`);
}
