import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from './agent-harness';

/** Bad input: one clear line naming it, a non-zero exit, no stack trace. */
describe('edge agent CLI: bad input', { timeout: 30_000 }, () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'vigint-cli-'));
    await writeFile(
      join(work, 'bad-field.yaml'),
      'cameras:\n  - id: a\n    rtsp_url: rtsp://h/x\n    detect_fps: -3\n',
    );
    await writeFile(join(work, 'not-a-video.mp4'), 'hello, I am text');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  // Through the real process: the message, the exit code and the absence of a stack trace.
  // Every other bad value is covered in-process by src/config.spec.ts.
  const cases: Array<[string, () => string[], RegExp]> = [
    ['an unknown flag', () => ['--frobnicate'], /Unknown option '--frobnicate'/],
    [
      'a missing video file',
      () => ['--video-input', join(work, 'nope.mp4')],
      /cannot read video input .*nope\.mp4: no such file/,
    ],
    [
      'a URL that is not RTSP',
      () => ['--rtsp-url', 'http://example.com/x'],
      /invalid RTSP URL.*must start with rtsp:\/\//,
    ],
    [
      'a bad value in the config',
      () => ['--config', join(work, 'bad-field.yaml')],
      /invalid config .*bad-field\.yaml: cameras\[0\]\.detect_fps: must be a number from 0 \(exclusive\) to 30 \(got -3\)/,
    ],
    ['a bad API_SERVER_URL', () => ['--video-input', join(work, 'not-a-video.mp4')], /API_SERVER_URL/],
  ];

  // Started together: each run is mostly process start-up, so the file stays well under a minute.
  const runs = new Map<string, ReturnType<typeof runAgent>>();
  beforeAll(() => {
    for (const [what, args] of cases) {
      const env = what === 'a bad API_SERVER_URL' ? { API_SERVER_URL: 'not a url' } : undefined;
      runs.set(what, runAgent(args(), { env }));
    }
  });

  for (const [what, , message] of cases) {
    it(`${what} → a clear message and exit code 2`, async () => {
      const run = await runs.get(what)!;
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('a file that is not a video → the camera fails, exit code 1, no stack trace', async () => {
    const run = await runAgent(['--video-input', join(work, 'not-a-video.mp4'), '--fast', '--outbox', join(work, 'o')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/camera not-a-video failed/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runAgent(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--video-input FILE/);
  });
});
