import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { AppError, ErrorCode } from '@vigint/contracts';

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
  /** Where the ffmpeg binary came from, for the start-up log. */
  source: 'FFMPEG_PATH' | 'ffmpeg-static' | 'PATH';
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function ffmpegStaticPath(): string | undefined {
  try {
    // Optional dependency: its install script downloads the binary and may have failed (it downloads from GitHub, unreachable on closed networks),
    // so the path it returns is only trusted when the file is there.
    const require = createRequire(import.meta.url);
    const p = require('ffmpeg-static') as string | null;
    return p && isExecutable(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** ffprobe sits next to ffmpeg when it came from FFMPEG_PATH's folder; else from PATH. */
function findFfprobe(ffmpeg: string, env: NodeJS.ProcessEnv): string {
  if (env.FFPROBE_PATH && isExecutable(env.FFPROBE_PATH)) return env.FFPROBE_PATH;
  const sibling = join(dirname(ffmpeg), 'ffprobe');
  if (isExecutable(sibling)) return sibling;
  return onPath('ffprobe', env.PATH) ?? 'ffprobe';
}

/**
 * Finds ffmpeg: `FFMPEG_PATH` → the ffmpeg-static binary if present → `ffmpeg` on `PATH`.
 * Throws an AppError naming all three options when none is found.
 */
export function resolveFfmpeg(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  if (env.FFMPEG_PATH) {
    if (!isExecutable(env.FFMPEG_PATH)) {
      throw new AppError(
        ErrorCode.DependencyUnavailable,
        `FFMPEG_PATH is set to "${env.FFMPEG_PATH}", which is not an executable file`,
        { field: 'FFMPEG_PATH' },
      );
    }
    return { ffmpeg: env.FFMPEG_PATH, ffprobe: findFfprobe(env.FFMPEG_PATH, env), source: 'FFMPEG_PATH' };
  }
  const fromPackage = ffmpegStaticPath();
  if (fromPackage) return { ffmpeg: fromPackage, ffprobe: findFfprobe(fromPackage, env), source: 'ffmpeg-static' };
  const fromPath = onPath('ffmpeg', env.PATH);
  if (fromPath) return { ffmpeg: fromPath, ffprobe: findFfprobe(fromPath, env), source: 'PATH' };
  throw new AppError(
    ErrorCode.DependencyUnavailable,
    'ffmpeg not found: set FFMPEG_PATH to an ffmpeg binary, or install the optional npm package ffmpeg-static ' +
      '(its binary download must succeed), or install ffmpeg on PATH (e.g. `apt-get install ffmpeg`)',
    { field: 'FFMPEG_PATH' },
  );
}
