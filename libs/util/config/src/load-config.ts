import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Thrown at start-up; its message lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads `env` through `schema` (property names are the variable names): converts strings to the declared
 * types, applies defaults, reports every invalid variable in one error, and returns a frozen object.
 * Empty strings count as unset, as in most .env files.
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Readonly<Static<T>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const v = env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const value = Value.Default(schema, Value.Convert(schema, raw));
  const problems = [...Value.Errors(schema, value)].map((e) => {
    const key = e.path.replace(/^\//, '');
    const given = raw[key];
    return `${key}: ${e.message}${given === undefined ? ' (not set)' : ` (got "${String(given)}")`}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(value as Static<T>);
}

/** A URL-valued variable (checked by URL parsing, not a regex). */
export const UrlString = (options: { default?: string; description?: string } = {}) =>
  Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://', ...options });

export const Port = (def: number) => Type.Integer({ minimum: 0, maximum: 65535, default: def });

export type { Static, TSchema };
