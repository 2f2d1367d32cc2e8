/* global process, console */
// Bundles one app (or the migration script) for production images: node scripts/build-app.mjs <name>...
// Names: api-proxy, worker, edge-agent (→ apps/<name>/dist/main.js) and db-migrate (→ dist/db-migrate.mjs).
//
// Why a bundle: our libs are consumed as TypeScript source (exports → src/index.ts) and tsx is a dev
// dependency, so a production image cannot run them as they are. esbuild inlines only workspace code
// (@vigint/* and relative files, including the generated Prisma client); every npm package stays an
// external import, resolved at run time from node_modules installed without dev dependencies.
// The app bundle sits in apps/<name>/dist so Node's lookup still finds apps/<name>/node_modules
// (npm nests a package there when versions conflict) before the root node_modules.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const TARGETS = {
  'api-proxy': { entry: 'apps/api-proxy/src/main.ts', outfile: 'apps/api-proxy/dist/main.js' },
  worker: { entry: 'apps/worker/src/main.ts', outfile: 'apps/worker/dist/main.js' },
  'edge-agent': { entry: 'apps/edge-agent/src/main.ts', outfile: 'apps/edge-agent/dist/main.js' },
  // dist/ is a sibling of scripts/, so paths the script derives from its own location stay valid.
  'db-migrate': { entry: 'scripts/db-migrate.ts', outfile: 'dist/db-migrate.mjs' },
};

/** Keeps bare npm specifiers external; lets workspace packages and relative paths be bundled. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@vigint/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * Workspace code locates files relative to itself (`new URL('../../../../prisma/migrations', import.meta.url)`).
 * In a bundle import.meta.url is the bundle's URL, so each workspace module gets the URL its source file
 * has, computed from the bundle's location: the image keeps the repo layout under /app, so paths derived
 * from it (prisma/migrations, ...) point where the files are shipped.
 */
function sourceRelativeImportMeta(outDir, rootDir, entry) {
  return {
    name: 'source-relative-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (args.path.split(sep).includes('node_modules') || !args.path.startsWith(rootDir)) return undefined;
        // The entry keeps the bundle's own URL: `import.meta.url === pathToFileURL(process.argv[1]).href` still works.
        if (args.path === entry) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!/import\.meta\.(url|dirname|filename)\b/.test(source)) return undefined;
        const rel = JSON.stringify(relative(outDir, args.path).split(sep).join('/'));
        const url = `new URL(${rel}, import.meta.url).href`;
        const contents = source
          .replace(/import\.meta\.url\b/g, url)
          .replace(/import\.meta\.filename\b/g, `__vigintFileURLToPath(${url})`)
          .replace(/import\.meta\.dirname\b/g, `__vigintDirname(__vigintFileURLToPath(${url}))`);
        const helpers = contents.includes('__vigint')
          ? "import { fileURLToPath as __vigintFileURLToPath } from 'node:url';\nimport { dirname as __vigintDirname } from 'node:path';\n"
          : '';
        const ext = args.path.split('.').pop();
        return {
          contents: helpers + contents,
          loader: ext.endsWith('ts') ? 'ts' : 'js',
          resolveDir: dirname(args.path),
        };
      });
    },
  };
}

export async function buildTarget(name, { rootDir = root, entry: entryOverride, outfile } = {}) {
  const target = TARGETS[name];
  if (!target) throw new Error(`unknown target "${name}"; expected one of ${Object.keys(TARGETS).join(', ')}`);
  const entry = entryOverride ?? join(rootDir, target.entry);
  if (!existsSync(entry)) throw new Error(`${entry} does not exist`);
  const out = outfile ?? join(rootDir, target.outfile);
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [externalNpmPackages, sourceRelativeImportMeta(dirname(out), rootDir, entry)],
  });
  return { outfile: out, metafile: result.metafile };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const names = process.argv.slice(2);
  if (names.length === 0) {
    console.error(`usage: node scripts/build-app.mjs <${Object.keys(TARGETS).join('|')}>...`);
    process.exit(2);
  }
  for (const name of names) {
    const { outfile } = await buildTarget(name);
    console.log(`[build-app] ${name} → ${outfile.slice(root.length + 1)}`);
  }
}
