import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { assertValid } from '@vigint/contracts';

/**
 * A body schema applied to JSON requests only: multipart/form-data bodies of the same route are read
 * part by part (streamed) and checked by the handler.
 */
export function jsonBody<T extends TSchema>(schema: T) {
  return {
    content: {
      'application/json': { schema },
    },
  };
}

/**
 * The JSON body of a route declared with `jsonBody`: Fastify validates it only for `application/json`
 * itself, so any other non-multipart body (another JSON media type, none at all) is checked here.
 */
export function jsonBodyOf<T extends TSchema>(req: FastifyRequest, schema: T): Static<T> {
  return assertValid(schema, req.body ?? {}, 'body');
}
