import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const TSX = resolve(REPO, 'node_modules/.bin/tsx');

export interface Child {
  proc: ChildProcess;
  /** stdout + stderr so far (bounded to the last 2 MB). */
  output(): string;
  /** Resolves when a line of the output matches (or rejects on exit / timeout). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

const MAX_OUTPUT = 2 * 1024 * 1024;

/**
 * Starts a process in its own process group (so tsx and the node it starts are stopped together) and
 * keeps its output for readiness checks and error messages.
 */
export function startChild(command: string, args: string[], env: Record<string, string | undefined>): Child {
  const proc = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    if (out.length > MAX_OUTPUT) out = out.slice(-MAX_OUTPUT / 2);
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((res) => {
    proc.on('exit', (code) => res(code));
    proc.on('error', () => res(-1));
  });
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of listeners) l();
  });

  const signalGroup = (sig: NodeJS.Signals, evenIfExited = false) => {
    if ((done && !evenIfExited) || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // already gone
    }
  };

  return {
    proc,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((res, rej) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          rej(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            clearTimeout(timer);
            listeners.delete(check);
            res(m[0]);
          } else if (done) {
            clearTimeout(timer);
            listeners.delete(check);
            rej(new Error(`process exited before ${pattern}; output:\n${out.slice(-3000)}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      // tsx's node child may outlive its parent for a moment: make sure the group is gone.
      signalGroup('SIGKILL', true);
      return code;
    },
  };
}

/**
 * `npx tsx <file>` as a user would run an app, in its own process group. With BENCH_CPU_PROF=<dir> the
 * app runs as `node --cpu-prof --import tsx <file>` instead (Node refuses --cpu-prof in NODE_OPTIONS) and
 * writes a V8 CPU profile there when it exits (summarise with bench/tools/profile-summary.ts).
 */
export function startTsx(file: string, args: string[], env: Record<string, string | undefined>): Child {
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir) {
    return startChild(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${resolve(profDir)}`, '--import', 'tsx', resolve(REPO, file), ...args],
      env,
    );
  }
  return startChild(TSX, [resolve(REPO, file), ...args], env);
}

/** Runs a command to completion; rejects on a non-zero exit or after `timeoutMs`. */
export async function runToEnd(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const child = startChild(command, args, env);
  const timer = setTimeout(() => void child.stop(1000), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output() };
}
