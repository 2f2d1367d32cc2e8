import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileWriter, readJsonFile } from './json-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigint-json-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readJsonFile', () => {
  it('reads the file, gives the fallback for a missing one and throws on a damaged one', async () => {
    const file = join(dir, 'state.json');
    expect(await readJsonFile(file, { n: 0 })).toEqual({ n: 0 });
    await writeFile(file, '{"n": 3}');
    expect(await readJsonFile(file, { n: 0 })).toEqual({ n: 3 });
    await writeFile(file, '{"n": ');
    await expect(readJsonFile(file, { n: 0 })).rejects.toThrow(SyntaxError);
  });
});

describe('JsonFileWriter', () => {
  it('creates the folder, and of many writes in a row the last state wins, with no temp file left', async () => {
    const file = join(dir, 'nested', 'state.json');
    const writer = new JsonFileWriter(file);
    const state = { n: 0 };
    const writes: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      state.n = i;
      writes.push(writer.write(() => state));
    }
    await Promise.all(writes);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ n: 20 });
    expect(await readdir(join(dir, 'nested'))).toEqual(['state.json']);
  });

  it('a failed write does not stop the next one', async () => {
    const file = join(dir, 'state.json');
    const writer = new JsonFileWriter(file);
    await expect(
      writer.write(() => {
        throw new Error('not serialisable');
      }),
    ).rejects.toThrow('not serialisable');
    await writer.write(() => ({ ok: true }));
    expect(await readJsonFile(file, {})).toEqual({ ok: true });
  });
});
