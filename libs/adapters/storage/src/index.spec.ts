import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The edge agent imports this package for the disk backend and must not load `pg` or the AWS SDK:
// walk the static (value) imports reachable from index.ts and list the packages they name.
const here = dirname(fileURLToPath(import.meta.url));

async function staticPackages(file: string, seen = new Set<string>()): Promise<Set<string>> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const src = await readFile(file, 'utf8');
  const re = /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms;
  for (const m of src.matchAll(re)) {
    const spec = m[2]!;
    if (spec.startsWith('./')) {
      for (const p of await staticPackages(join(dirname(file), `${spec}.ts`), seen)) packages.add(p);
    } else {
      packages.add(spec);
    }
  }
  return packages;
}

describe('@vigint/storage entry point', () => {
  it('loads neither pg nor the AWS SDK until a postgres or s3 store is created', async () => {
    const packages = [...(await staticPackages(join(here, 'index.ts')))];
    expect(packages).toContain('@vigint/contracts');
    expect(packages.filter((p) => p === 'pg' || p.startsWith('@aws-sdk/'))).toEqual([]);
  });
});
