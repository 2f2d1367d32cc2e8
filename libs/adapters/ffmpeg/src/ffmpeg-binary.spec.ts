import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from './ffmpeg-binary';

describe('resolveFfmpeg', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  function fakeBin(name: string): { dir: string; file: string } {
    const dir = mkdtempSync(join(tmpdir(), 'vigint-ffbin-'));
    dirs.push(dir);
    const file = join(dir, name);
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return { dir, file };
  }

  it('prefers FFMPEG_PATH', () => {
    const { file } = fakeBin('ffmpeg');
    expect(resolveFfmpeg({ FFMPEG_PATH: file, PATH: '' })).toMatchObject({ ffmpeg: file, source: 'FFMPEG_PATH' });
  });

  it('rejects an FFMPEG_PATH that is not executable, naming the variable', () => {
    expect(() => resolveFfmpeg({ FFMPEG_PATH: '/nonexistent/ffmpeg', PATH: '' })).toThrow(/FFMPEG_PATH/);
  });

  it('falls back to PATH and finds ffprobe beside it', () => {
    const { dir, file } = fakeBin('ffmpeg');
    writeFileSync(join(dir, 'ffprobe'), '#!/bin/sh\n');
    chmodSync(join(dir, 'ffprobe'), 0o755);
    expect(resolveFfmpeg({ PATH: dir })).toEqual({ ffmpeg: file, ffprobe: join(dir, 'ffprobe'), source: 'PATH' });
  });

  it('names the three options when nothing is found', () => {
    expect(() => resolveFfmpeg({ PATH: '/nonexistent' })).toThrow(/FFMPEG_PATH.*ffmpeg-static.*PATH/s);
  });
});
