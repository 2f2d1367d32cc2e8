import Fastify, { type FastifyInstance } from 'fastify';
import { loggerOptions, redactUrl } from '@vigint/logger';
import type { Logger } from '@vigint/logger';
import app, { type AppOptions } from './app';
import { trustProxySetting } from './config';

export interface BuildOptions extends AppOptions {
  /** A ready pino logger (tests capture logs with one); else pino JSON on stdout. */
  logger?: Logger;
}

/** Creates the Fastify instance (timeouts, body limit, Ajv options, log redaction) with the gateway registered. */
export async function buildServer(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const base = {
    bodyLimit: Math.floor(config.BODY_LIMIT_MB * 1024 * 1024),
    connectionTimeout: 0,
    requestTimeout: config.SYNC_WAIT_MS + 60_000,
    keepAliveTimeout: 72_000,
    trustProxy: trustProxySetting(config.TRUST_PROXY),
    return503OnClosing: true,
    requestIdHeader: 'x-request-id',
    // Fastify's 10 s per plugin is too short for a cold start on a small or busy host (the OpenAPI document
    // alone took longer under load): the gateway then exits before listening, and the platform restarts it.
    pluginTimeout: 60_000,
    // Signed console action tokens (/console/act/<token>) run to ~140 characters with a UUID incident id;
    // find-my-way's default of 100 sent them to the 404 page. Schemas still bound every param.
    routerOptions: { maxParamLength: 500 },
    ajv: {
      // No type coercion of JSON bodies: a string where a number belongs is a 400, and `null` in a nullable
      // field stays null (coercion would turn it into 0 before the null branch is tried).
      customOptions: { coerceTypes: false, removeAdditional: true, useDefaults: true, allErrors: false },
    },
  };
  const serializers = {
    req: (req: { method: string; url: string; id?: string; ip?: string }) => ({
      method: req.method,
      url: redactUrl(req.url),
      id: req.id,
      ip: req.ip,
    }),
  };
  const instance = (opts.logger
    ? Fastify({ ...base, loggerInstance: opts.logger.child({ module: 'http' }, { serializers }) as never })
    : Fastify({
        ...base,
        logger: { ...loggerOptions('api-proxy', config.LOG_LEVEL), serializers },
      })) as unknown as FastifyInstance;
  await instance.register(app, { config, overrides: opts.overrides });
  return instance;
}
