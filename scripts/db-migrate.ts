// `npm run db:migrate`: applies pending migrations to DATABASE_URL.
// With Prisma's schema engine available (production images, machines with internet) this is
// `prisma migrate deploy`; without it (docs/development.md, "Migrations") the SQL files are applied by our runner, which
// records them in _prisma_migrations exactly as Prisma does, so a later `migrate deploy` agrees.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { applyMigrations, MigrationError } from '@vigint/db/migration-runner';

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The schema engine `prisma migrate deploy` needs: an explicit binary, or one installed beside @prisma/engines. */
function schemaEngineAvailable(): boolean {
  const explicit = process.env.PRISMA_SCHEMA_ENGINE_BINARY;
  if (explicit) return explicit !== '/bin/false' && isExecutable(explicit);
  try {
    const enginesDir = dirname(createRequire(import.meta.url).resolve('@prisma/engines/package.json'));
    return readdirSync(enginesDir).some((f) => f.startsWith('schema-engine') && isExecutable(`${enginesDir}/${f}`));
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('db:migrate: DATABASE_URL is not set (e.g. postgresql://user:pass@host:5432/vigint)');
    return 2;
  }
  const mode = process.env.VIGINT_MIGRATE_WITH ?? (schemaEngineAvailable() ? 'prisma' : 'sql');
  if (mode === 'prisma') {
    console.log(`db:migrate: prisma migrate deploy → ${redact(url)}`);
    const r = spawnSync('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  console.log(`db:migrate: applying SQL migrations (no schema engine here) → ${redact(url)}`);
  try {
    const result = await applyMigrations(url);
    for (const name of result.applied) console.log(`  applied ${name}`);
    console.log(`db:migrate: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
    return 0;
  } catch (err) {
    const msg = err instanceof MigrationError ? err.message : `unexpected error: ${(err as Error).message}`;
    console.error(`db:migrate: ${msg.replaceAll(url, redact(url))}`);
    return 1;
  }
}

process.exitCode = await main();
