import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  documentedVariables,
  dotenvVariables,
  interpolatedVariables,
  REPO_ROOT,
  schemaVariables,
  type RenderBlueprint,
} from '../../src/index';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const documented = documentedVariables(read('docs/configuration.md'));
const example = dotenvVariables(read('.env.example'));
const missingFrom = (names: string[], list: string[]) => names.filter((n) => !list.includes(n));

// The config schemas the processes load at start-up (apps/<app>/src/config.ts).
const appConfigs = readdirSync(join(REPO_ROOT, 'apps'))
  .map((app) => `apps/${app}/src/config.ts`)
  .filter((path) => {
    try {
      return read(path).length > 0;
    } catch {
      return false;
    }
  });

describe('configuration docs', () => {
  it('reads the variable names out of a schema, a .env file and a docs table', () => {
    expect(
      schemaVariables(
        'X = Type.Object({\n  PORT: Port(5000),\n  REDIS_URL: Type.String(),\n  ANALYSIS_CONCURRENCY: Concurrency(4),\n  rtsp_url: Type.String(),\n})',
      ),
    ).toEqual(['ANALYSIS_CONCURRENCY', 'PORT', 'REDIS_URL']);
    expect(dotenvVariables('# A=1\nB=2\nC=\n')).toEqual(['B', 'C']);
    expect(documentedVariables('| `A` | G |\n| `B`, `C` | W |\ntext `D`')).toEqual(['A', 'B']);
  });

  it('documents every variable each process declares in its config schema', () => {
    expect(appConfigs.length).toBeGreaterThan(0);
    for (const path of appConfigs) {
      const names = schemaVariables(read(path));
      expect(names.length, path).toBeGreaterThan(0);
      // The docs table may list two related names in one row ("`S3_ACCESS_KEY_ID`, `S3_SECRET_ACCESS_KEY`").
      const text = read('docs/configuration.md');
      expect(
        names.filter((n) => !text.includes(`\`${n}\``)),
        `${path} → docs/configuration.md`,
      ).toEqual([]);
    }
  });

  it('.env.example sets every variable docker-compose.yml interpolates, and the docs describe each', () => {
    const used = interpolatedVariables(read('docker-compose.yml'));
    expect(used).toContain('SECRET_KEY');
    expect(missingFrom(used, example)).toEqual([]);
    expect(missingFrom(example, documented.concat(['S3_SECRET_ACCESS_KEY']))).toEqual([]);
  });

  it('documents every variable render.yaml sets', () => {
    const bp = parse(read('render.yaml')) as RenderBlueprint;
    const keys = [...new Set((bp.services ?? []).flatMap((s) => (s.envVars ?? []).map((e) => e.key)))];
    expect(missingFrom(keys, documented)).toEqual([]);
  });
});
