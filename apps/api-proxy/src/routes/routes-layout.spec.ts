import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = __dirname;

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === 'index.ts' && dir !== ROOT ? [p] : [];
  });
}

describe('route layout (routes/index.ts)', () => {
  const files = routeFiles(ROOT);

  it('every route folder serves URLs under its own path', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const folder = `/${relative(ROOT, file).replace(/\/index\.ts$/, '')}`;
      const src = readFileSync(file, 'utf8');
      const paths = [
        ...src.matchAll(/app\.(?:get|post|put|patch|delete|all)\(\s*[`']([^`']+)[`']/g),
        ...src.matchAll(/notAvailable\('([^']+)'\)/g),
      ].map((m) => m[1]!);
      expect(paths.length, `${folder} declares no route`).toBeGreaterThan(0);
      for (const p of paths) expect(p === folder || p.startsWith(`${folder}/`), `${p} in ${folder}`).toBe(true);
    }
  });

  it('no route plugin adds its own authentication hook: the scopes in routes/index.ts do', () => {
    for (const file of files) expect(readFileSync(file, 'utf8')).not.toMatch(/authenticate/);
  });
});
