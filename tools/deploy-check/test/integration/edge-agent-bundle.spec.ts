import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/index';

// The edge-agent image's process, run here: the production bundle, with plain node and the system
// ffmpeg (as the image sets FFMPEG_PATH=/usr/bin/ffmpeg), in local mode on the committed sample video.
interface BuildApp {
  buildTarget(name: string, opts?: { outfile?: string }): Promise<{ outfile: string }>;
}
const { buildTarget } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts/build-app.mjs')).href)) as BuildApp;

// Beside where the image puts it (apps/edge-agent/dist, git-ignored), so apps/edge-agent/node_modules resolves.
const distDir = join(REPO_ROOT, 'apps/edge-agent/dist');
// Named main.js: the agent runs its CLI only when started from a file called main.*.
const bundleDir = join(distDir, `deploy-check-${process.pid}`);
const bundle = join(bundleDir, 'main.js');
mkdirSync(join(REPO_ROOT, 'tools/deploy-check/tmp'), { recursive: true });
const work = mkdtempSync(join(REPO_ROOT, 'tools/deploy-check/tmp', 'agent-'));
const ffmpeg = execFileSync('sh', ['-c', 'command -v ffmpeg']).toString().trim();

afterAll(() => {
  rmSync(bundleDir, { recursive: true, force: true });
  try {
    if (readdirSync(distDir).length === 0) rmSync(distDir, { recursive: true });
  } catch {
    // already gone
  }
  rmSync(work, { recursive: true, force: true });
});

describe('edge-agent production bundle', () => {
  it('prints its usage (the image default command) and exits 0', async () => {
    await buildTarget('edge-agent', { outfile: bundle });
    const out = execFileSync(process.execPath, [bundle, '--help'], {
      cwd: work,
      env: { PATH: process.env.PATH },
    }).toString();
    expect(out).toMatch(/--rtsp-url/);
    expect(out).toMatch(/--video-input/);
  });

  it('turns the sample video into exactly one alert e-mail (local mode, .eml outbox)', async () => {
    await buildTarget('edge-agent', { outfile: bundle });
    const outbox = join(work, 'outbox');
    execFileSync(
      process.execPath,
      [bundle, '--video-input', join(REPO_ROOT, 'samples/intruder.mp4'), '--fast', '--outbox', outbox],
      {
        cwd: work,
        env: { PATH: process.env.PATH, FFMPEG_PATH: ffmpeg, LOG_LEVEL: 'warn' },
        stdio: 'pipe',
      },
    );
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });
});
