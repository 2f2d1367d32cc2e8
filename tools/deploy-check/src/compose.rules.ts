/** The subset of a resolved compose file (`docker-compose config` output) our checks read. */
export interface ComposeService {
  image?: string;
  build?: { context?: string; target?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | null>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  profiles?: string[];
  ports?: (string | { target?: number; published?: number | string })[];
  volumes?: (string | { source?: string; target?: string; type?: string })[];
  restart?: string;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Which service waits for which, and on what condition. */
export const EXPECTED_DEPENDS_ON: Record<string, Record<string, string>> = {
  migrate: { postgres: 'service_healthy' },
  'api-proxy': { redis: 'service_healthy', postgres: 'service_healthy', migrate: 'service_completed_successfully' },
  worker: { redis: 'service_healthy', postgres: 'service_healthy', migrate: 'service_completed_successfully' },
  'edge-agent': { 'api-proxy': 'service_healthy' },
};

const asList = (v: string[] | string | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/);

/** Every broken expectation of docker-compose.yml as a sentence; [] when the stack is what the docs say. */
export function checkCompose(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const s = compose.services ?? {};
  for (const name of ['redis', 'postgres', 'migrate', 'api-proxy', 'worker', 'mailpit', 'edge-agent']) {
    if (!s[name]) problems.push(`service ${name}: missing`);
  }

  for (const [name, svc] of Object.entries(s)) {
    if (svc.image && !/:[^/]+$/.test(svc.image)) problems.push(`service ${name}: image ${svc.image} has no tag`);
    if (svc.image?.endsWith(':latest')) problems.push(`service ${name}: image ${svc.image} uses latest`);
  }

  const redis = s.redis;
  if (redis) {
    const cmd = asList(redis.command).join(' ');
    if (!/--appendonly yes/.test(cmd))
      problems.push('service redis: not started with --appendonly yes (BullMQ jobs would not survive a restart)');
    if (!/--maxmemory-policy noeviction/.test(cmd))
      problems.push('service redis: not started with --maxmemory-policy noeviction (BullMQ keys could be evicted)');
    if (!redis.healthcheck?.test || redis.healthcheck.disable) problems.push('service redis: no healthcheck');
  }
  const pg = s.postgres;
  if (pg) {
    if (!pg.healthcheck?.test || pg.healthcheck.disable) problems.push('service postgres: no healthcheck');
    const dataVolume = (pg.volumes ?? []).some((v) =>
      typeof v === 'string' ? v.includes('/var/lib/postgresql/data') : v.target === '/var/lib/postgresql/data',
    );
    if (!dataVolume) problems.push('service postgres: data directory is not on a volume');
  }

  for (const [name, want] of Object.entries(EXPECTED_DEPENDS_ON)) {
    const svc = s[name];
    if (!svc) continue;
    const deps = svc.depends_on;
    const got: Record<string, string | undefined> = Array.isArray(deps)
      ? Object.fromEntries(deps.map((d) => [d, 'service_started']))
      : Object.fromEntries(Object.entries(deps ?? {}).map(([k, v]) => [k, v.condition]));
    for (const [dep, condition] of Object.entries(want)) {
      if (got[dep] !== condition)
        problems.push(`service ${name}: depends_on ${dep} should be ${condition}, is ${got[dep] ?? 'absent'}`);
    }
  }

  for (const [name, target] of [
    ['migrate', 'migrate'],
    ['api-proxy', 'api-proxy'],
    ['worker', 'worker'],
    ['edge-agent', 'edge-agent'],
  ] as const) {
    if (s[name] && s[name]!.build?.target !== target)
      problems.push(`service ${name}: builds target ${s[name]!.build?.target ?? '(none)'}, expected ${target}`);
  }
  if (s['api-proxy'] && !JSON.stringify(s['api-proxy'].healthcheck?.test ?? '').includes('/api/health'))
    problems.push('service api-proxy: healthcheck does not probe /api/health');
  if (s['api-proxy'] && !s['api-proxy'].environment?.ADMIN_KEY) problems.push('service api-proxy: ADMIN_KEY not set');
  if (s.worker?.environment?.ADMIN_KEY) problems.push('service worker: ADMIN_KEY belongs on the gateway only');
  if (s.migrate && s.migrate.restart !== 'no') problems.push('service migrate: must not restart (one-shot)');

  for (const name of ['api-proxy', 'worker']) {
    const env = s[name]?.environment ?? {};
    for (const key of ['DATABASE_URL', 'REDIS_URL', 'SECRET_KEY', 'VIDEO_LINK_SECRET'])
      if (!env[key]) problems.push(`service ${name}: ${key} not set`);
    if (env.STORAGE_BACKEND !== 'postgres')
      problems.push(
        `service ${name}: STORAGE_BACKEND should default to postgres (shared by gateway and worker), is ${String(env.STORAGE_BACKEND)}`,
      );
    if (env.REDIS_URL && !String(env.REDIS_URL).includes('redis:6379'))
      problems.push(`service ${name}: REDIS_URL does not point at the redis service`);
    if (env.DATABASE_URL && !String(env.DATABASE_URL).includes('@postgres:5432'))
      problems.push(`service ${name}: DATABASE_URL does not point at the postgres service`);
  }
  const workerEnv = s.worker?.environment ?? {};
  if (s.worker && workerEnv.EMAIL_SMTP_SERVER !== 'mailpit')
    problems.push('service worker: EMAIL_SMTP_SERVER should default to the mail catcher');
  if (s.worker && String(workerEnv.EMAIL_SMTP_PORT) !== '1025')
    problems.push('service worker: EMAIL_SMTP_PORT should default to 1025');

  const mail = s.mailpit;
  if (mail && !JSON.stringify(mail.ports ?? []).includes('8025'))
    problems.push('service mailpit: web inbox port 8025 not published');

  const agent = s['edge-agent'];
  if (agent) {
    if (!(agent.profiles ?? []).includes('agent')) problems.push('service edge-agent: not under profile "agent"');
    if (!String(agent.environment?.API_SERVER_URL ?? '').startsWith('http://api-proxy:'))
      problems.push('service edge-agent: API_SERVER_URL does not point at api-proxy');
    const args = asList(agent.command).join(' ');
    if (!/--video-input \/samples\/\S+|--rtsp-url \S+/.test(args))
      problems.push('service edge-agent: neither a sample video nor an RTSP URL as input');
  }
  return problems;
}
