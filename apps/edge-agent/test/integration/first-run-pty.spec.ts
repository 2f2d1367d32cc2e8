import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestVideo } from '@vigint/testing';
import { AGENT_MAIN } from './agent-harness';

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * The first run as a person sees it (issue 15 item 8): the agent in a real pseudo-terminal (util-linux `script`),
 * as `npm start` runs it. The screen shows the per-camera status line, readable log lines and the summary, and
 * no raw JSON log line.
 */
describe.skipIf(!hasScript)('edge agent in a terminal', { timeout: 90_000 }, () => {
  let work: string;
  let video: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigint-pty-'));
    // Long enough that the status line (redrawn every second) is drawn at least once with --fast.
    video = await makeTestVideo({ seconds: 90, noise: true, withMovingBox: { startSec: 11, endSec: 15 } });
  }, 60_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
    await rm(dirname(video), { recursive: true, force: true });
  });

  it('shows the status line, readable log lines and the summary, and no JSON', () => {
    const command = [process.execPath, '--import', 'tsx', AGENT_MAIN, '--video-input', video, '--fast']
      .concat(['--outbox', join(work, 'outbox'), '--camera-id', 'hall'])
      .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    for (const k of ['API_SERVER_URL', 'GOOGLE_API_KEY', 'EMAIL_SMTP_SERVER', 'LOG_LEVEL', 'LOG_FORMAT', 'CI'])
      delete env[k];
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], {
      env,
      encoding: 'utf8',
      timeout: 80_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Escape characters spelled out, so the assertions read (and lint) plainly.
    const screen = run.stdout.replaceAll('\x1b', '<ESC>');
    expect(run.status, screen.slice(-2000)).toBe(0);
    // The status line, redrawn in place: carriage return, clear line, then the camera's counters.
    expect(screen).toMatch(/\r<ESC>\[Khall: (live|ended) \d+\.\d fps (MOTION|still) · AI \d+\/\d+/);
    // A warning as a person reads it (time, level, camera, message, fields).
    expect(screen).toMatch(/\d\d:\d\d:\d\d (<ESC>\[33m)?WARN (<ESC>\[0m)? hall: incident opened risk=\w+/);
    expect(screen).toMatch(/Summary:\r?\n {2}hall \(ended\): frames read \d+/);
    expect(screen).not.toMatch(/\{"level":/);
  });
});
