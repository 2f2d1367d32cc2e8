import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, Port } from './load-config';

const Schema = Type.Object({
  PORT: Port(5000),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  WAIT_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  SECRET_KEY: Type.Optional(Type.String({ minLength: 8 })),
});

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const c = loadConfig(Schema, { PORT: '8080' });
    expect(c).toEqual({ PORT: 8080, REDIS_URL: 'redis://127.0.0.1:6379', WAIT_MS: 60_000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(Schema, { PORT: '' }).PORT).toBe(5000);
  });

  it('reports every bad variable at once, by name', () => {
    try {
      loadConfig(Schema, { PORT: 'abc', WAIT_MS: '0', SECRET_KEY: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('WAIT_MS');
      expect(msg).toContain('SECRET_KEY');
      expect((err as ConfigError).problems).toHaveLength(3);
    }
  });
});
