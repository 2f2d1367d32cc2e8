import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkBlueprint, type RenderBlueprint, type RenderService } from './render.rules';
import { REPO_ROOT } from './repo-root';

const load = (): RenderBlueprint => parse(readFileSync(join(REPO_ROOT, 'render.yaml'), 'utf8')) as RenderBlueprint;
const svc = (bp: RenderBlueprint, type: string): RenderService => bp.services!.find((s) => s.type === type)!;

describe('render.yaml', () => {
  it('parses and has the web service, the worker, Key Value and PostgreSQL, wired as documented', () => {
    const bp = load();
    expect(checkBlueprint(bp)).toEqual([]);
    const web = svc(bp, 'web');
    expect(web.healthCheckPath).toBe('/api/health');
    expect(web.preDeployCommand).toBe('node dist/db-migrate.mjs');
    expect(svc(bp, 'worker').dockerCommand).toBe('node apps/worker/dist/main.js');
    expect(svc(bp, 'keyvalue').maxmemoryPolicy).toBe('noeviction');
    expect(bp.databases).toHaveLength(1);
  });

  it('asks for every secret in the Dashboard (sync: false) and commits none', () => {
    const bp = load();
    const all = bp.services!.flatMap((s) => (s.envVars ?? []).map((e) => ({ service: s.name, ...e })));
    for (const key of [
      'SECRET_KEY',
      'ADMIN_KEY',
      'VIDEO_LINK_SECRET',
      'GOOGLE_API_KEY',
      'EMAIL_PASSWORD',
      'EMAIL_USERNAME',
    ]) {
      const entries = all.filter((e) => e.key === key);
      expect(entries.length, key).toBeGreaterThan(0);
      for (const e of entries)
        expect(e.sync === false || e.fromService?.envVarKey === key, `${e.service}.${key}`).toBe(true);
      for (const e of entries) expect(e.value, `${e.service}.${key}`).toBeUndefined();
    }
  });

  it('gives web and worker the same SECRET_KEY and VIDEO_LINK_SECRET (links signed by one are verified by the other)', () => {
    const bp = load();
    for (const key of ['SECRET_KEY', 'VIDEO_LINK_SECRET']) {
      const workerKey = svc(bp, 'worker').envVars!.find((e) => e.key === key)!;
      expect(workerKey.fromService).toEqual({ type: 'web', name: svc(bp, 'web').name, envVarKey: key });
    }
  });

  it('ADMIN_KEY on the gateway only; TRUST_PROXY set to the private hops of the load balancer', () => {
    const bp = load();
    expect(svc(bp, 'web').envVars!.some((e) => e.key === 'ADMIN_KEY')).toBe(true);
    expect(svc(bp, 'worker').envVars!.some((e) => e.key === 'ADMIN_KEY')).toBe(false);
    expect(svc(bp, 'web').envVars!.find((e) => e.key === 'TRUST_PROXY')?.value).toBe('uniquelocal');
    const without = load();
    svc(without, 'web').envVars = svc(without, 'web').envVars!.filter((e) => e.key !== 'ADMIN_KEY');
    expect(checkBlueprint(without)).toContain('vigint-api: ADMIN_KEY missing');
  });
});

describe('blueprint rules catch', () => {
  const mutate = (fn: (bp: RenderBlueprint) => void) => {
    const bp = load();
    fn(bp);
    return checkBlueprint(bp);
  };

  it('a committed secret, or one not asked for', () => {
    expect(
      mutate((bp) =>
        Object.assign(
          svc(bp, 'worker').envVars!.find((e) => e.key === 'GOOGLE_API_KEY')!,
          { sync: undefined, value: 'AIza...' },
        ),
      ),
    ).toContain('vigint-worker: secret GOOGLE_API_KEY has a committed value');
    expect(mutate((bp) => delete svc(bp, 'web').envVars!.find((e) => e.key === 'SECRET_KEY')!.sync)).toEqual(
      expect.arrayContaining(['vigint-api: secret SECRET_KEY is not sync: false']),
    );
  });

  it('an evicting Key Value, a wrong health check, a missing migration step', () => {
    expect(mutate((bp) => (svc(bp, 'keyvalue').maxmemoryPolicy = 'allkeys-lru'))).toContain(
      'Key Value: maxmemoryPolicy is allkeys-lru, BullMQ needs noeviction',
    );
    expect(mutate((bp) => (svc(bp, 'web').healthCheckPath = '/health'))).toContain(
      'web: healthCheckPath is /health, expected /api/health',
    );
    expect(mutate((bp) => delete svc(bp, 'web').preDeployCommand)).toContain(
      'web: no preDeployCommand running the migrations',
    );
  });

  it('URLs typed in instead of wired, a disk, a missing worker or database', () => {
    expect(
      mutate((bp) => (svc(bp, 'worker').envVars!.find((e) => e.key === 'REDIS_URL')!.fromService = undefined)),
    ).toContain('vigint-worker: REDIS_URL is not fromService vigint-redis connectionString');
    expect(
      mutate((bp) => (svc(bp, 'web').envVars!.find((e) => e.key === 'DATABASE_URL')!.fromDatabase!.property = 'host')),
    ).toContain('vigint-api: DATABASE_URL is not fromDatabase vigint-db connectionString');
    expect(mutate((bp) => (svc(bp, 'web').disk = { name: 'videos', mountPath: '/data', sizeGB: 1 }))).toContain(
      'vigint-api: has a disk; produced videos must live in the shared store',
    );
    expect(mutate((bp) => (bp.services = bp.services!.filter((s) => s.type !== 'worker')))).toContain(
      'no background worker',
    );
    expect(mutate((bp) => (bp.databases = []))).toContain('no PostgreSQL database');
  });
});
