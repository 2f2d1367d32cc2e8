import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Metafile {
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}
interface Lockfile {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean; link?: boolean }>;
}

/** npm package names a bundle still imports at run time (builtins excluded). */
export function externalPackages(meta: Metafile): string[] {
  const names = new Set<string>();
  for (const out of Object.values(meta.outputs)) {
    for (const imp of out.imports) {
      if (!imp.external || imp.path.startsWith('node:') || imp.path.startsWith('.')) continue;
      const parts = imp.path.split('/');
      names.add(imp.path.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return [...names].sort();
}

/** Where Node would find `pkg` when imported from `fromFile`: the node_modules folders it walks, nearest first. */
export function resolvePackageDir(pkg: string, fromFile: string, stopAt: string): string | undefined {
  let dir = dirname(fromFile);
  for (;;) {
    const candidate = join(dir, 'node_modules', pkg);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === stopAt || dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
}

/**
 * True when `npm prune --omit=dev` keeps the package at `lockKey` (e.g. "node_modules/pino"). The lockfile
 * marks dev-only packages `dev: true`; `devOptional` ones (dev, and optional for a production package) stay.
 */
export function isProductionPackage(lock: Lockfile, lockKey: string): boolean {
  const entry = lock.packages[lockKey];
  return entry !== undefined && entry.dev !== true;
}
