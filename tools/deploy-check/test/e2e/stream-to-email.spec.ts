import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanupRedisPrefix,
  createTestDatabase,
  freePort,
  geminiReply,
  startFakeGemini,
  startRtspServer,
  startSmtpServer,
  stopChild,
  testRedisPrefix,
  type FakeGemini,
  type TestDatabase,
  type TestSmtpServer,
} from '@vigint/testing';
import { REPO_ROOT } from '../../src/index';

/*
 * The whole system as a user starts it (issue 7): `nx serve api-proxy`, `nx serve worker`, real Redis,
 * PostgreSQL and an SMTP server, a fake Gemini, rtsp-server-perl publishing the sample video (one person
 * crossing the room), and `nx serve edge-agent -- --rtsp-url ...` in distributed mode. Exactly one e-mail
 * must arrive, carrying a clip ffprobe can read.
 */

const ffmpeg = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();
const ffprobe = execFileSync('sh', ['-c', 'command -v ffprobe']).toString().trim();
const work = mkdtempSync(join(tmpdir(), 'vigint-e2e-'));
const children: { name: string; proc: ChildProcess; out: string[] }[] = [];

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${tails()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The last output of every process, for failure messages. */
function tails(): string {
  return children
    .map(
      (c) =>
        `--- ${c.name} (exit ${c.proc.exitCode ?? c.proc.signalCode ?? 'running'})\n${c.out.join('').slice(-1500)}`,
    )
    .join('\n');
}

function run(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { proc: ChildProcess; output: () => string } {
  const proc = spawn(cmd, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: nx → npm → tsx → node all stop together
  });
  const out: string[] = [];
  proc.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
  proc.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
  children.push({ name, proc, out });
  return { proc, output: () => out.join('') };
}

// Own process group (see run): nx → npm → tsx → node all stop together.
const stop = (proc: ChildProcess) => stopChild(proc, { graceMs: 8000, group: true });

describe('camera stream to alert e-mail, across processes', { timeout: 150_000 }, () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  let gemini: FakeGemini;
  const prefix = testRedisPrefix('e2e');
  const secret = 'e2e-secret-key-0123456789';
  const adminKey = 'e2e-admin-key-0123456789abcdefghijk';
  let gatewayUrl: string;

  beforeAll(async () => {
    [db, smtp, gemini] = await Promise.all([
      createTestDatabase(),
      startSmtpServer(),
      startFakeGemini({ defaultReply: geminiReply.incident() }),
    ]);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const shared = {
      DATABASE_URL: db.url,
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: prefix,
      SECRET_KEY: secret,
      ADMIN_KEY: adminKey,
      STORAGE_BACKEND: 'postgres',
      PUBLIC_BASE_URL: gatewayUrl,
      LOG_LEVEL: 'info',
    };
    const gateway = run('api-proxy', 'npx', ['nx', 'serve', 'api-proxy', '--outputStyle=stream'], {
      ...shared,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    const worker = run('worker', 'npx', ['nx', 'serve', 'worker', '--outputStyle=stream'], {
      ...shared,
      GOOGLE_API_KEY: 'e2e-key',
      GEMINI_BASE_URL: gemini.baseUrl,
      EMAIL_SMTP_SERVER: smtp.host,
      EMAIL_SMTP_PORT: String(smtp.port),
      EMAIL_SMTP_SECURE: 'false',
      EMAIL_FROM: 'vigint@e2e.test',
      EMAIL_OUTBOX_DIR: join(work, 'worker-outbox'),
      FFMPEG_PATH: ffmpeg,
    });
    await until(
      'gateway /api/health',
      async () => {
        if (gateway.proc.exitCode !== null) throw new Error(`api-proxy exited\n${tails()}`);
        try {
          return (await fetch(`${gatewayUrl}/api/health`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      90_000,
    );
    await until(
      'worker ready',
      () => {
        if (worker.proc.exitCode !== null) throw new Error(`worker exited\n${tails()}`);
        return /worker ready/.test(worker.output()) ? true : undefined;
      },
      90_000,
    );
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => stop(c.proc)));
    // VIGINT_E2E_LOG_DIR=<dir> keeps every process's full output, for debugging a failure.
    const logDir = process.env.VIGINT_E2E_LOG_DIR;
    if (logDir) for (const c of children) writeFileSync(join(logDir, `${c.name}.log`), c.out.join(''));
    await Promise.allSettled([smtp?.stop(), gemini?.close(), db?.drop(), cleanupRedisPrefix(prefix)]);
    rmSync(work, { recursive: true, force: true });
  });

  it('sends exactly one e-mail with a playable clip for a stream with one event', async () => {
    // A client and its API key, through the admin API as an operator would.
    const created = await fetch(`${gatewayUrl}/admin/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-key': adminKey },
      body: JSON.stringify({ name: 'e2e home', email: 'owner@e2e.test' }),
    });
    expect(created.status).toBe(201);
    const { api_key: apiKey } = (await created.json()) as { api_key: string };

    // rtsp-server-perl, and ffmpeg publishing the sample in real time (33 s; the person crosses at 13–18 s).
    const { clientPort, sourcePort } = await startRtspServer({
      spawnServer: (cmd, args) => run('rtsp-server', cmd, args).proc,
      rtpStartPort: 30_000 + 2 * Math.floor(Math.random() * 10_000),
    });
    const agent = run(
      'edge-agent',
      'npx',
      [
        'nx',
        'serve',
        'edge-agent',
        '--outputStyle=stream',
        '--',
        '--rtsp-url',
        `rtsp://127.0.0.1:${clientPort}/live`,
        // rtsp-server-perl refuses RTSP over TCP: UDP at once keeps the lead-in from going to the fallback.
        '--rtsp-transport',
        'udp',
        '--camera-id',
        'e2e-cam',
        '--outbox',
        join(work, 'agent-outbox'),
      ],
      {
        API_SERVER_URL: gatewayUrl,
        VIGINT_API_KEY: apiKey,
        FFMPEG_PATH: ffmpeg,
        LOG_LEVEL: 'info',
      },
    );
    // The agent first: nx + tsx start-up takes seconds to tens of seconds on a busy machine, and the
    // stream must not run out before the agent watches it. Its first connection may get a 404 while the
    // publisher registers the stream; it retries after 1 s.
    await until(
      'the edge agent to start',
      () => {
        if (agent.proc.exitCode !== null) throw new Error(`edge-agent exited\n${tails()}`);
        return /Vigint edge agent:/.test(agent.output()) ? true : undefined;
      },
      90_000,
    );
    const publisher = run('publisher', ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-i',
      join(REPO_ROOT, 'samples/intruder.mp4'),
      // 8 s more of the empty room after the sample, paced in real time (`realtime`; -re only paces the
      // input): the incident closes (post-roll) while frames still flow.
      '-vf',
      'tpad=stop_mode=clone:stop_duration=8,realtime',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
      '-g',
      '15',
      '-an',
      '-f',
      'rtsp',
      `rtsp://127.0.0.1:${sourcePort}/live`,
    ]);

    const [mail] = await smtp.waitForMessages(1, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${tails()}`);
    });
    // Let the stream end and every pending job settle before counting: a duplicate would arrive now.
    await until('publisher to finish the sample', () => (publisher.proc.exitCode !== null ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 5000));
    expect(smtp.messages).toHaveLength(1);

    const clip = mail!.parsed.attachments.find((a) => /^video\//.test(a.contentType));
    expect(clip, `attachments: ${mail!.parsed.attachments.map((a) => a.contentType).join(', ')}`).toBeDefined();
    const file = join(work, clip!.filename ?? 'clip.mp4');
    writeFileSync(file, clip!.content);
    const probe = JSON.parse(
      execFileSync(ffprobe, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]).toString(),
    ) as {
      streams: { codec_type: string; codec_name: string }[];
      format: { duration: string };
    };
    expect(probe.streams.some((s) => s.codec_type === 'video')).toBe(true);
    expect(Number(probe.format.duration)).toBeGreaterThan(1);
  });
});
