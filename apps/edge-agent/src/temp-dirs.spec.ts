import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCameraTempDir, sweepStaleTempDirs } from './temp-dirs';

describe('camera temp dirs', () => {
  let root: string;
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('sweeps the dirs of dead agents and keeps those of live ones', async () => {
    root = await mkdtemp(join(tmpdir(), 'vigint-sweep-'));
    const mine = await makeCameraTempDir('cam', root);
    const dead = join(root, 'vigint-agent-cam-dead');
    await rm(dead, { recursive: true, force: true });
    await mkdtemp(join(root, 'x-')); // unrelated
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dead);
    // A pid far above pid_max: never alive.
    await writeFile(join(dead, 'owner.pid'), '99999999');
    const removed = await sweepStaleTempDirs(root);
    expect(removed).toEqual([dead]);
    const left = await readdir(root);
    expect(left).toContain(mine.split('/').pop());
    expect(left).not.toContain('vigint-agent-cam-dead');
  });
});
