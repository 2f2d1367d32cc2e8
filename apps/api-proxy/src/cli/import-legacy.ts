import { parseArgs } from 'node:util';
import { redactUrl } from '@vigint/logger';
import { importLegacyDatabase } from './legacy-import.service';

/*
 * npm run import-legacy -w @vigint/api-proxy -- --from postgresql://…/old_db [--to postgresql://…/vigint]
 * (or LEGACY_DATABASE_URL / DATABASE_URL). Copies clients, api_keys and api_usage; safe to run twice.
 */
const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
const from = values.from ?? process.env.LEGACY_DATABASE_URL;
const to = values.to ?? process.env.DATABASE_URL;
if (!from || !to) {
  console.error(
    'usage: import-legacy --from <earlier system DATABASE URL> [--to <Vigint DATABASE_URL>] (or LEGACY_DATABASE_URL, DATABASE_URL)',
  );
  process.exit(2);
}
const strip = (u: string) => redactUrl(u).replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
console.log(`importing ${strip(from)} → ${strip(to)}`);
try {
  const r = await importLegacyDatabase(from, to, (m) => console.warn(m));
  console.log(JSON.stringify(r));
} catch (err) {
  console.error(`import failed: ${(err as Error).message}`);
  process.exit(1);
}
