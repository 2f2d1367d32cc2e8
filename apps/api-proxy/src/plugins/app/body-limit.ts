import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { MB } from '../../config';

/** The body limit of a request's route (route `bodyLimit`, else BODY_LIMIT_MB). */
export const routeBodyLimit = (req: FastifyRequest): number => req.routeOptions.bodyLimit;

export function bodyTooLarge(limit: number, field?: string): AppError {
  const mb = Math.round((limit / MB) * 100) / 100;
  return new AppError(
    ErrorCode.PayloadTooLarge,
    field ? `${field} is too large: at most ${mb} MB` : `request body is too large: at most ${mb} MB`,
    field ? { field } : {},
  );
}

/**
 * The first half of the total body limit: a Content-Length over the route's limit is refused before any
 * byte is read, for every content type (Fastify checks it itself only for the bodies it parses; multipart
 * is read by the routes, see services/multipart-body.ts for the second half, counted while streaming).
 */
async function bodyLimit(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (req) => {
    const header = req.headers['content-length'];
    if (header === undefined) return;
    const len = Number(header);
    const limit = routeBodyLimit(req);
    if (Number.isFinite(len) && len > limit) throw bodyTooLarge(limit);
  });
}

export default fp(bodyLimit, { name: 'body-limit', dependencies: ['services'] });
