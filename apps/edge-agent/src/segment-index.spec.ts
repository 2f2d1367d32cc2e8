import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentIndex } from './segment-index';

describe('SegmentIndex holds', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function indexWithSegments(n: number): Promise<SegmentIndex> {
    dir = await mkdtemp(join(tmpdir(), 'vigint-segidx-'));
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      await writeFile(join(dir, `seg${i}.ts`), 'x');
      lines.push(`seg${i}.ts,${i * 2},${i * 2 + 2}`);
    }
    await writeFile(join(dir, 'segments.csv'), lines.join('\n') + '\n');
    const idx = new SegmentIndex();
    await idx.refresh(dir, join(dir, 'segments.csv'), 0);
    return idx;
  }

  it('one delivery finishing does not release a later event still holding its pre-roll', async () => {
    const idx = await indexWithSegments(10); // segments [0,2) … [18,20)
    const releaseFirst = idx.hold(2);
    const releaseSecond = idx.hold(8);
    releaseFirst();
    await idx.prune(20);
    const left = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
    // Segments ending before 8 s go; the second event's pre-roll (from 8 s) stays.
    expect(left).toEqual(['seg3.ts', 'seg4.ts', 'seg5.ts', 'seg6.ts', 'seg7.ts', 'seg8.ts', 'seg9.ts']);
    releaseSecond();
    await idx.prune(21);
    expect((await readdir(dir)).filter((f) => f.endsWith('.ts'))).toEqual([]);
  });
});
