import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Polygon } from '@vigint/contracts';
import { startTsx } from './child-process';

export interface AgentSummaryCamera {
  cameraId: string;
  state: string;
  framesRead: number;
  motionFrames: number;
  analyses: number;
  aiCalls: number;
  incidents: number;
  alerts: Array<{ kind: string; status: string; destination: string; latencyMs?: number; eventStart?: number }>;
}

export interface AgentRunResult {
  code: number | null;
  seconds: number;
  summary: AgentSummaryCamera[];
  emlFiles: string[];
  output: string;
}

export interface AgentCamera {
  id: string;
  video: string;
  mask?: Polygon[];
  cooldown?: number;
}

/** An agent config file with these cameras on files (YAML is a JSON superset, so JSON it is). */
export async function writeAgentConfig(
  file: string,
  cameras: AgentCamera | AgentCamera[],
  /** Other top-level keys of the agent file (e.g. `notify`). */
  extra: Record<string, unknown> = {},
): Promise<string> {
  const config = {
    ...extra,
    cameras: (Array.isArray(cameras) ? cameras : [cameras]).map((camera) => ({
      id: camera.id,
      video_input: camera.video,
      ...(camera.cooldown !== undefined ? { cooldown: camera.cooldown } : {}),
      ...(camera.mask ? { motion: { mask: camera.mask } } : {}),
    })),
  };
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * The edge agent CLI as a user runs it (`tsx apps/edge-agent/src/main.ts`), local mode: no API server,
 * no SMTP (alerts land as .eml in `outbox`), Gemini at `geminiBaseUrl` when given.
 */
export async function runAgent(opts: {
  args: string[];
  outbox: string;
  env?: Record<string, string | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<AgentRunResult> {
  const started = performance.now();
  const child = startTsx('apps/edge-agent/src/main.ts', [...opts.args, '--outbox', opts.outbox], {
    API_SERVER_URL: undefined,
    EMAIL_SMTP_SERVER: undefined,
    GOOGLE_API_KEY: undefined,
    NX_TASK_TARGET_PROJECT: undefined,
    LOG_LEVEL: 'info',
    ...opts.env,
  });
  const onAbort = () => void child.stop(3000);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => void child.stop(3000), opts.timeoutMs);
  try {
    const code = await child.exited;
    await child.stop(1000);
    const output = child.output();
    const line = output
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"summary"'))
      .map((l) => JSON.parse(l) as { msg?: string; summary?: AgentSummaryCamera[] })
      .find((l) => l.msg === 'summary');
    if (!line?.summary) throw new Error(`agent exited ${code} without a summary:\n${output.slice(-3000)}`);
    // A camera that failed (unreadable input, ffmpeg died) would make every figure of the case meaningless.
    const failed = line.summary.filter((c) => c.state === 'failed' || c.framesRead === 0);
    if (failed.length) {
      throw new Error(
        `agent camera(s) ${failed.map((c) => `${c.cameraId} (${c.state}, ${c.framesRead} frames)`).join(', ')} failed:\n` +
          output.slice(-4000),
      );
    }
    let emlFiles: string[] = [];
    try {
      emlFiles = (await readdir(opts.outbox)).filter((f) => f.endsWith('.eml')).map((f) => join(opts.outbox, f));
    } catch {
      // no outbox: nothing was alerted
    }
    return { code, seconds: (performance.now() - started) / 1000, summary: line.summary, emlFiles, output };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
