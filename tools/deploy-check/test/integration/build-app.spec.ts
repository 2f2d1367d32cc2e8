import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { externalPackages, isProductionPackage, REPO_ROOT, resolvePackageDir } from '../../src/index';

type Metafile = Parameters<typeof externalPackages>[0];
interface BuildApp {
  TARGETS: Record<string, { entry: string; outfile: string }>;
  buildTarget(
    name: string,
    opts?: { entry?: string; outfile?: string },
  ): Promise<{ outfile: string; metafile: Metafile }>;
}
const { TARGETS, buildTarget } = (await import(
  pathToFileURL(join(REPO_ROOT, 'scripts/build-app.mjs')).href
)) as BuildApp;
const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Parameters<
  typeof isProductionPackage
>[0];

// Inside the repo (tmp/ is git-ignored) so the bundle's npm imports resolve as they will in the image.
const here = join(REPO_ROOT, 'tools/deploy-check');
mkdirSync(join(here, 'tmp'), { recursive: true });
const work = mkdtempSync(join(here, 'tmp', 'bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Externals not installable by `npm prune --omit=dev`, as seen from where the bundle will sit. */
function unshippable(meta: Metafile, bundlePosition: string): string[] {
  return externalPackages(meta).filter((pkg) => {
    const dir = resolvePackageDir(pkg, bundlePosition, REPO_ROOT);
    return dir === undefined || !isProductionPackage(lock, relative(REPO_ROOT, dir));
  });
}

describe('scripts/build-app.mjs', () => {
  it('inlines workspace libs, keeps npm packages external, and the bundle runs', async () => {
    const outfile = join(work, 'probe', 'main.js');
    const { metafile } = await buildTarget('worker', { entry: join(here, 'test/fixtures/probe-main.ts'), outfile });
    const code = readFileSync(outfile, 'utf8');
    expect(code).not.toMatch(/from ["']@vigint\//);
    expect(externalPackages(metafile)).toEqual(expect.arrayContaining(['@sinclair/typebox', 'pino']));
    expect(externalPackages(metafile).some((p) => p.startsWith('@vigint/'))).toBe(false);
    const out = execFileSync(process.execPath, [outfile], {
      env: { PATH: process.env.PATH, PROBE_NAME: 'bundled' },
    }).toString();
    expect(JSON.parse(out)).toEqual({
      name: 'bundled',
      risk: 'HIGH',
      found: 'beside the source',
      dir: join(here, 'test/fixtures'),
      self: outfile,
    });
  });

  it('flags an external that production installs would not have', () => {
    const meta: Metafile = {
      outputs: { 'x.js': { imports: [{ path: 'vitest', kind: 'import-statement', external: true }] } },
    };
    expect(unshippable(meta, join(REPO_ROOT, 'apps/worker/dist/main.js'))).toEqual(['vitest']);
    const gone: Metafile = {
      outputs: { 'x.js': { imports: [{ path: 'no-such-package-vigint', kind: 'import-statement', external: true }] } },
    };
    expect(unshippable(gone, join(REPO_ROOT, 'apps/worker/dist/main.js'))).toEqual(['no-such-package-vigint']);
  });

  it('db-migrate bundle applies prisma/migrations to an empty database (what the migrate image and preDeployCommand run)', async () => {
    const outfile = join(work, 'dist', 'db-migrate.mjs');
    await buildTarget('db-migrate', { outfile });
    const name = `vigint_deploy_${process.pid}_${Date.now()}`;
    const admin = process.env.TEST_DATABASE_ADMIN_URL || 'postgresql://root@127.0.0.1:5432/postgres';
    execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${name}`]);
    try {
      const url = new URL(admin);
      url.pathname = `/${name}`;
      // cwd elsewhere: the runner must find prisma/migrations from its own location, not the working directory.
      const out = execFileSync(process.execPath, [outfile], {
        cwd: work,
        env: { PATH: process.env.PATH, DATABASE_URL: url.toString(), VIGINT_MIGRATE_WITH: 'sql' },
      }).toString();
      expect(out).toMatch(/applied/);
      const tables = execFileSync('psql', [url.toString(), '-Atc', 'SELECT count(*) FROM _prisma_migrations'])
        .toString()
        .trim();
      expect(Number(tables)).toBeGreaterThan(0);
    } finally {
      execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    }
  });

  it('rejects an unknown target', async () => {
    await expect(buildTarget('nope')).rejects.toThrow(/unknown target/);
  });

  // The real entries, as the Docker build stage bundles them: each must build, and every npm package
  // it imports must survive `npm prune --omit=dev` and be found from apps/<app>/dist.
  for (const [name, target] of Object.entries(TARGETS)) {
    const present = existsSync(join(REPO_ROOT, target.entry));
    it.skipIf(!present)(`${name}: bundles, and imports only production packages`, async () => {
      const { metafile } = await buildTarget(name, { outfile: join(work, name, 'main.js') });
      expect(unshippable(metafile, join(REPO_ROOT, target.outfile))).toEqual([]);
    });
  }
});
