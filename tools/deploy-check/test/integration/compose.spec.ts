import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkCompose, composeConfig, composeServices, REPO_ROOT, type ComposeFile } from '../../src/index';

// docker-compose (Debian's v1) validates the file without a Docker engine; scripts/services.sh installs it.
function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
if (!hasDockerCompose())
  throw new Error(
    'docker-compose is not installed: run `bash scripts/services.sh` (or apt-get install docker-compose)',
  );

// Interpolation must come from .env.example alone, never from the developer's shell or a local .env.
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
const tmp = mkdtempSync(join(tmpdir(), 'deploy-check-compose-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('passes `docker-compose config` with .env.example, every profile included', async () => {
    const resolved = await composeConfig({
      cwd: REPO_ROOT,
      envFile: '.env.example',
      profiles: ['agent'],
      env: cleanEnv,
    });
    expect(Object.keys(resolved.services).sort()).toEqual([
      'api-proxy',
      'edge-agent',
      'mailpit',
      'migrate',
      'postgres',
      'redis',
      'worker',
    ]);
    expect(checkCompose(resolved)).toEqual([]);
    // Debian's docker-compose v1 lists profiled services in `config`; `up` still skips them without --profile.
    expect(await composeServices({ cwd: REPO_ROOT, envFile: '.env.example', env: cleanEnv })).toEqual(
      Object.keys(resolved.services).sort(),
    );
    expect(resolved.services['edge-agent']!.profiles).toEqual(['agent']);
  });

  it('refuses to start without SECRET_KEY, naming it', async () => {
    const envFile = join(tmp, 'no-secret.env');
    writeFileSync(
      envFile,
      readFileSync(join(REPO_ROOT, '.env.example'), 'utf8').replace(/^SECRET_KEY=.*$/m, 'SECRET_KEY='),
    );
    await expect(composeConfig({ cwd: REPO_ROOT, envFile, env: cleanEnv })).rejects.toThrow(/SECRET_KEY/);
  });

  it('rejects a structurally broken file (the validation is real)', async () => {
    const doc = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile &
      Record<string, unknown>;
    (doc.services['api-proxy']!.depends_on as Record<string, unknown>).migrate = { condition: 'service_finished' };
    const file = join(tmp, 'broken.yml');
    writeFileSync(file, stringify(doc));
    await expect(
      composeConfig({ cwd: tmp, file, envFile: join(REPO_ROOT, '.env.example'), env: cleanEnv }),
    ).rejects.toThrow(/condition|service_finished/);
  });
});

describe('compose rules catch', () => {
  let base: ComposeFile;
  beforeAll(async () => {
    base = await composeConfig({ cwd: REPO_ROOT, envFile: '.env.example', profiles: ['agent'], env: cleanEnv });
  });
  const resolved = async () => structuredClone(base);

  it('Redis without persistence or with eviction', async () => {
    const c = await resolved();
    c.services.redis!.command = ['redis-server', '--maxmemory-policy', 'allkeys-lru'];
    const problems = checkCompose(c).join('\n');
    expect(problems).toMatch(/--appendonly yes/);
    expect(problems).toMatch(/noeviction/);
  });

  it('an app that does not wait for the migration, or waits only for a start', async () => {
    const c = await resolved();
    delete (c.services.worker!.depends_on as Record<string, unknown>).migrate;
    (c.services['api-proxy']!.depends_on as Record<string, { condition: string }>).postgres = {
      condition: 'service_started',
    };
    expect(checkCompose(c)).toEqual(
      expect.arrayContaining([
        'service worker: depends_on migrate should be service_completed_successfully, is absent',
        'service api-proxy: depends_on postgres should be service_healthy, is service_started',
      ]),
    );
  });

  it('a database without volume or healthcheck, a latest image, a per-host store', async () => {
    const c = await resolved();
    c.services.postgres!.volumes = [];
    delete c.services.postgres!.healthcheck;
    c.services.mailpit!.image = 'axllent/mailpit:latest';
    c.services.worker!.environment!.STORAGE_BACKEND = 'disk';
    expect(checkCompose(c)).toEqual(
      expect.arrayContaining([
        'service postgres: no healthcheck',
        'service postgres: data directory is not on a volume',
        'service mailpit: image axllent/mailpit:latest uses latest',
        'service worker: STORAGE_BACKEND should default to postgres (shared by gateway and worker), is disk',
      ]),
    );
  });
});
