import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { GatewayConfig } from './config';
import type { GatewayServices } from './services/gateway-services';
import services from './plugins/app/services';
import errorHandler from './plugins/app/error-handler';
import auth from './plugins/app/auth';
import usage from './plugins/app/usage';
import metrics from './plugins/app/metrics';
import bodyLimit from './plugins/app/body-limit';
import authThrottle from './plugins/app/auth-throttle';
import rateLimit from './plugins/app/rate-limit';
import multipart from './plugins/external/multipart';
import swagger from './plugins/external/swagger';
import incidents from './plugins/app/incidents';
import routes from './routes';

export interface AppOptions {
  config: GatewayConfig;
  overrides?: Partial<GatewayServices>;
}

/**
 * Contracts schemas carry `$id`s (RiskLevel, ErrorBody...) and appear in many routes; Ajv refuses a
 * second schema with the same id, so route schemas are compiled without them (the shapes are unchanged).
 */
function stripIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripIds);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) if (k !== '$id') out[k] = stripIds(v);
    return out;
  }
  return schema;
}

/** The gateway as a plugin: main.ts (and the tests) create the instance and register it. */
async function app(instance: FastifyInstance, opts: AppOptions): Promise<void> {
  instance.addHook('onRoute', (route) => {
    if (route.schema) route.schema = stripIds(route.schema) as typeof route.schema;
  });
  await instance.register(services, { config: opts.config, overrides: opts.overrides });
  await instance.register(incidents);
  await instance.register(errorHandler);
  await instance.register(metrics);
  await instance.register(swagger);
  await instance.register(authThrottle);
  await instance.register(auth);
  await instance.register(usage);
  await instance.register(bodyLimit);
  await instance.register(multipart);
  await instance.register(rateLimit);
  await instance.register(routes);
}

export default fp(app, { name: 'vigint-gateway' });
