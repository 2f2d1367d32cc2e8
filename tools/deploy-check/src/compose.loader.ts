import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { ComposeFile } from './compose.rules';

const run = promisify(execFile);

export interface ComposeConfigOptions {
  cwd: string;
  file?: string;
  envFile?: string;
  profiles?: string[];
  /** Environment of the docker-compose process (interpolation reads it before the env file). */
  env?: NodeJS.ProcessEnv;
}

/**
 * `docker-compose config`: validates the file (schema, interpolation, depends_on conditions) and
 * prints it resolved. Throws with docker-compose's stderr when the file is invalid.
 */
export async function composeConfig(opts: ComposeConfigOptions): Promise<ComposeFile> {
  return parse(await runConfig(opts, [])) as ComposeFile;
}

/** The services `docker-compose up` would start with these profiles (`config --services`). */
export async function composeServices(opts: ComposeConfigOptions): Promise<string[]> {
  return (await runConfig(opts, ['--services'])).split('\n').filter(Boolean).sort();
}

async function runConfig(opts: ComposeConfigOptions, extra: string[]): Promise<string> {
  const args: string[] = [];
  if (opts.envFile) args.push('--env-file', opts.envFile);
  args.push('-f', opts.file ?? 'docker-compose.yml');
  for (const p of opts.profiles ?? []) args.push('--profile', p);
  args.push('config', ...extra);
  try {
    const { stdout } = await run('docker-compose', args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      maxBuffer: 4 << 20,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker-compose config failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Names interpolated with ${NAME...} in a compose file (what a user may set in .env). */
export function interpolatedVariables(composeText: string): string[] {
  return [...new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!))].sort();
}
