import type { TSchema } from '@sinclair/typebox';

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
