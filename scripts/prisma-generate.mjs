// Generates the Prisma client (prisma-client generator, no Rust engine at run time).
// The CLI wants its schema engine even for `generate`, and cannot download it on closed networks;
// any existing file satisfies it for generation (docs/development.md, "Migrations"), so we point it at one when unset.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync('/bin/false')) env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
if (!existsSync('prisma/schema.prisma')) process.exit(0);
const r = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
