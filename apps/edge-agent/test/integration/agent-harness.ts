import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';

const here = dirname(fileURLToPath(import.meta.url));
export const AGENT_MAIN = resolve(here, '../../src/main.ts');

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON log lines of stderr. */
  logs: Array<Record<string, unknown>>;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Sends SIGINT once this returns true for the logs so far. */
  stopWhen?: (logs: Array<Record<string, unknown>>) => boolean;
  /** Hard limit: SIGKILL after this (the test then fails on the exit code). */
  timeoutMs?: number;
  onLog?: (line: Record<string, unknown>) => void;
}

/** Runs the real CLI (tsx src/main.ts) as a child process, as a user would. */
export function runAgent(args: string[], opts: RunOptions = {}): Promise<AgentRun> {
  return new Promise((resolveRun) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...opts.env };
    // A user's shell would not carry these; keep the agent in local mode with the offline analyzer.
    for (const k of ['API_SERVER_URL', 'GOOGLE_API_KEY', 'EMAIL_SMTP_SERVER', 'NX_TASK_TARGET_PROJECT']) {
      if (!opts.env?.[k]) delete env[k];
    }
    // node --import tsx: one process (the tsx wrapper would leave its child behind on SIGKILL).
    const child = spawn(process.execPath, ['--import', 'tsx', AGENT_MAIN, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const logs: Array<Record<string, unknown>> = [];
    let stopped = false;
    let partial = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      partial += c.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          opts.onLog?.(entry);
        } catch {
          // not a log line
        }
      }
      if (!stopped && opts.stopWhen?.(logs)) {
        stopped = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 50_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr, logs });
    });
  });
}

export interface SummaryCamera {
  cameraId: string;
  state: string;
  framesRead: number;
  motionFrames: number;
  analyses: number;
  aiCalls: number;
  incidents: number;
  alerts: Array<{ kind: string; status: string; destination: string; clipRange?: [number, number] }>;
}

export function summaryOf(run: AgentRun): SummaryCamera[] {
  const line = run.logs.find((l) => l.msg === 'summary');
  if (!line) throw new Error(`no summary in the agent's log:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
  return line.summary as SummaryCamera[];
}

export async function emlFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.eml')).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export async function parseEml(file: string) {
  return simpleParser(await readFile(file));
}

/** The agent's per-camera temp dirs (`vigint-agent-<cameraId>-*`) present now. */
export async function agentTempDirs(cameraId: string): Promise<string[]> {
  const { tmpdir } = await import('node:os');
  return (await readdir(tmpdir())).filter((n) => n.startsWith(`vigint-agent-${cameraId}-`)).sort();
}
