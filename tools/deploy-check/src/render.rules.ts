/** The subset of a Render Blueprint our checks read. */
export interface RenderEnvVar {
  key: string;
  value?: string | number | boolean;
  sync?: boolean;
  generateValue?: boolean;
  fromDatabase?: { name: string; property: string };
  fromService?: { type: string; name: string; property?: string; envVarKey?: string };
  fromGroup?: string;
}
export interface RenderService {
  type: string;
  name: string;
  runtime?: string;
  plan?: string;
  dockerCommand?: string;
  dockerfilePath?: string;
  preDeployCommand?: string;
  healthCheckPath?: string;
  maxmemoryPolicy?: string;
  ipAllowList?: unknown[];
  envVars?: RenderEnvVar[];
  disk?: unknown;
}
export interface RenderBlueprint {
  services?: RenderService[];
  databases?: { name: string; databaseName?: string; user?: string; plan?: string; ipAllowList?: unknown[] }[];
}

/** Values that must never be committed: entered in the Dashboard (sync: false) or copied from a service that has them so. */
export const SECRET_KEYS = [
  'SECRET_KEY',
  'ADMIN_KEY',
  'VIDEO_LINK_SECRET',
  'GOOGLE_API_KEY',
  'EMAIL_PASSWORD',
  'EMAIL_USERNAME',
  'S3_SECRET_ACCESS_KEY',
  'S3_ACCESS_KEY_ID',
];

const SECRET_NAME = /(SECRET|PASSWORD|API_KEY|TOKEN|ACCESS_KEY)/;

/** Every broken expectation of render.yaml as a sentence; [] when the blueprint is what the docs say. */
export function checkBlueprint(bp: RenderBlueprint): string[] {
  const problems: string[] = [];
  const services = bp.services ?? [];
  const web = services.find((s) => s.type === 'web');
  const worker = services.find((s) => s.type === 'worker');
  const kv = services.find((s) => s.type === 'keyvalue' || s.type === 'redis');
  const db = (bp.databases ?? [])[0];

  if (!web) problems.push('no web service');
  if (!worker) problems.push('no background worker');
  if (!kv) problems.push('no Key Value instance');
  if (!db) problems.push('no PostgreSQL database');

  if (web) {
    if (web.healthCheckPath !== '/api/health')
      problems.push(`web: healthCheckPath is ${web.healthCheckPath ?? 'unset'}, expected /api/health`);
    if (!/db-migrate|db:migrate|migrate/.test(web.preDeployCommand ?? ''))
      problems.push('web: no preDeployCommand running the migrations');
    if (!/api-proxy/.test(web.dockerCommand ?? '')) problems.push('web: does not start api-proxy');
  }
  if (worker && !/apps\/worker/.test(worker.dockerCommand ?? '')) problems.push('worker: does not start the worker');
  if (kv) {
    if (kv.maxmemoryPolicy !== 'noeviction')
      problems.push(`Key Value: maxmemoryPolicy is ${kv.maxmemoryPolicy ?? 'unset'}, BullMQ needs noeviction`);
    if (!Array.isArray(kv.ipAllowList)) problems.push('Key Value: ipAllowList missing (required by Render)');
  }

  for (const svc of [web, worker]) {
    if (!svc) continue;
    if (svc.disk !== undefined) problems.push(`${svc.name}: has a disk; produced videos must live in the shared store`);
    const env = new Map((svc.envVars ?? []).map((e) => [e.key, e]));
    const dbUrl = env.get('DATABASE_URL');
    if (!db || dbUrl?.fromDatabase?.name !== db.name || dbUrl.fromDatabase.property !== 'connectionString')
      problems.push(`${svc.name}: DATABASE_URL is not fromDatabase ${db?.name ?? '?'} connectionString`);
    const redisUrl = env.get('REDIS_URL');
    if (
      !kv ||
      redisUrl?.fromService?.name !== kv.name ||
      redisUrl.fromService.type !== kv.type ||
      redisUrl.fromService.property !== 'connectionString'
    )
      problems.push(`${svc.name}: REDIS_URL is not fromService ${kv?.name ?? '?'} connectionString`);
    if (env.get('STORAGE_BACKEND')?.value !== 'postgres' && env.get('STORAGE_BACKEND')?.value !== 's3')
      problems.push(`${svc.name}: STORAGE_BACKEND must be a shared store (postgres or s3)`);
    if (!env.has('SECRET_KEY')) problems.push(`${svc.name}: SECRET_KEY missing`);
    if (!env.has('VIDEO_LINK_SECRET')) problems.push(`${svc.name}: VIDEO_LINK_SECRET missing (required in production)`);
    if (svc.type === 'web' && !env.has('ADMIN_KEY')) problems.push(`${svc.name}: ADMIN_KEY missing`);
    if (svc.type !== 'web' && env.has('ADMIN_KEY')) problems.push(`${svc.name}: ADMIN_KEY belongs on the gateway only`);

    for (const e of svc.envVars ?? []) {
      const secret = SECRET_KEYS.includes(e.key) || SECRET_NAME.test(e.key);
      if (!secret) continue;
      if (e.value !== undefined) problems.push(`${svc.name}: secret ${e.key} has a committed value`);
      else if (e.sync !== false && !e.fromService?.envVarKey && !e.generateValue)
        problems.push(`${svc.name}: secret ${e.key} is not sync: false`);
      if (e.fromService?.envVarKey) {
        const source = services.find((s) => s.name === e.fromService!.name);
        const origin = source?.envVars?.find((x) => x.key === e.fromService!.envVarKey);
        if (!origin || origin.sync !== false)
          problems.push(
            `${svc.name}: ${e.key} copies ${e.fromService.name}.${e.fromService.envVarKey}, which is not a sync: false secret`,
          );
      }
    }
  }
  if (worker) {
    const env = new Map((worker.envVars ?? []).map((e) => [e.key, e]));
    for (const key of ['GOOGLE_API_KEY', 'EMAIL_PASSWORD']) if (!env.has(key)) problems.push(`worker: ${key} missing`);
  }
  return problems;
}
