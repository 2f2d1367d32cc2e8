import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './dockerfile.parser';
import { checkDockerfile, stageChain } from './dockerfile.rules';
import { REPO_ROOT } from './repo-root';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const check = (text: string) => checkDockerfile(parseDockerfile(text));

describe('Dockerfile', () => {
  it('has the five targets, each following every rule', () => {
    const df = parseDockerfile(dockerfile);
    expect(df.stages.map((s) => s.name)).toEqual(
      expect.arrayContaining(['build', 'api-proxy', 'worker', 'edge-agent', 'migrate', 'server']),
    );
    expect(check(dockerfile)).toEqual([]);
  });

  it('builds `server` when no target is given (Render), so it must be the last stage', () => {
    expect(parseDockerfile(dockerfile).stages.at(-1)?.name).toBe('server');
  });

  it('resolves the base image through the global ARG', () => {
    const chain = stageChain(parseDockerfile(dockerfile), 'worker');
    expect(chain.map((s) => s.name)).toEqual(['base', 'base-ffmpeg', 'worker']);
    expect(chain[0]!.image).toMatch(/^node:20/);
  });

  it('joins continuation lines and drops comments inside them', () => {
    const df = parseDockerfile('FROM node:20-bookworm-slim AS a\nRUN echo one \\\n # note\n && echo two\n');
    expect(df.stages[0]!.instructions).toEqual([{ keyword: 'RUN', args: 'echo one && echo two', line: 2 }]);
  });
});

describe('Dockerfile rules catch', () => {
  it('a target left running as root', () => {
    const bad = dockerfile.replace(/(FROM base-ffmpeg AS api-proxy[\s\S]*?)USER node\n/, '$1');
    expect(check(bad)).toContain('target api-proxy: runs as root (no non-root USER)');
  });

  it('USER root after USER node', () => {
    const bad = dockerfile.replace(/(FROM base-ffmpeg AS worker[\s\S]*?USER node\n)/, '$1USER root\n');
    expect(check(bad)).toContain('target worker: runs as root (no non-root USER)');
  });

  it('a latest or missing tag', () => {
    expect(
      check(dockerfile.replace('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE=node:latest')).join('\n'),
    ).toMatch(/"latest" tag/);
    expect(check(dockerfile.replace('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE=node')).join('\n')).toMatch(
      /no tag/,
    );
  });

  it('a gateway without its health check', () => {
    const bad = dockerfile.replace(/(FROM base-ffmpeg AS api-proxy[\s\S]*?)HEALTHCHECK[^\n]*\\\n[^\n]*\n/, '$1');
    expect(check(bad)).toContain('target api-proxy: no HEALTHCHECK');
  });

  it('ffmpeg missing from the worker or the gateway (which probes uploads), or installed in migrate', () => {
    const noFfmpeg = dockerfile.replace(
      'apt-get install -y --no-install-recommends ffmpeg',
      'apt-get install -y --no-install-recommends curl',
    );
    expect(check(noFfmpeg)).toContain('target worker: does not install Debian ffmpeg');
    expect(check(noFfmpeg)).toContain('target api-proxy: does not install Debian ffmpeg');
    const gatewayNoFfmpeg = dockerfile.replace('FROM base-ffmpeg AS api-proxy', 'FROM base AS api-proxy');
    expect(check(gatewayNoFfmpeg)).toEqual(['target api-proxy: does not install Debian ffmpeg']);
    const migrateFfmpeg = dockerfile.replace('FROM base AS migrate', 'FROM base-ffmpeg AS migrate');
    expect(check(migrateFfmpeg)).toContain('target migrate: installs ffmpeg it does not need');
  });

  it('dev dependencies shipped, npm install, sloppy apt-get', () => {
    expect(check(dockerfile.replace(/ && npm prune --omit=dev[^\n]*\n/, ' \\\n'))).toContain(
      'build stage never drops dev dependencies (npm prune --omit=dev)',
    );
    expect(check(dockerfile.replace('npm ci --no-audit', 'npm install --no-audit')).join('\n')).toMatch(
      /npm install in an image/,
    );
    expect(check(dockerfile.replace(' \\\n && rm -rf /var/lib/apt/lists/*', '')).join('\n')).toMatch(
      /apt lists not removed/,
    );
  });

  it('runtime images copying source from the context or the whole build stage', () => {
    const fromContext = dockerfile.replace(/(FROM base-ffmpeg AS api-proxy\n)/, '$1COPY . .\n');
    expect(check(fromContext).join('\n')).toMatch(/target api-proxy: line \d+ copies from the build context/);
    const whole = dockerfile.replace(/(FROM base AS migrate\n)/, '$1COPY --from=build /app /app\n');
    expect(check(whole).join('\n')).toMatch(/target migrate: line \d+ copies the whole build stage/);
  });
});
