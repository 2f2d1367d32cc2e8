import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorCode, ErrorReplies } from '@vigint/contracts';

/** `ALL <path>` and `<path>/*`: 501 naming the path (the earlier system proxied it to a separate service). */
export function notAvailable(path: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    const handler = async () => {
      throw new AppError(
        ErrorCode.NotImplemented,
        `${path} is not available in Vigint (the earlier system proxied it to a separate service)`,
      );
    };
    const schema = { tags: ['unsupported'], response: ErrorReplies };
    app.all(path, { schema }, handler);
    app.all(`${path}/*`, { schema }, handler);
  };
}
