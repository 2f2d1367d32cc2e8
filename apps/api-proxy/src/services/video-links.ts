import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifyVideoLink, videoLinkFor } from '@vigint/alerting';

/** VIDEO_LINK_SECRET; outside production SECRET_KEY when unset (config.ts refuses to start with neither). */
export const linkSecret = (app: FastifyInstance): string => (app.config.VIDEO_LINK_SECRET ?? app.config.SECRET_KEY)!;

/** Base of absolute links: PUBLIC_BASE_URL, else what the request came to. */
export function publicBase(app: FastifyInstance, req: FastifyRequest): string {
  return (app.config.PUBLIC_BASE_URL ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
}

/** A private link to a video page: `/video/{id}?token=` (HMAC over id and expiry). */
export function videoLink(
  app: FastifyInstance,
  req: FastifyRequest,
  videoId: string,
  expiresAt?: Date,
): { url: string; expiresAt: Date } {
  return videoLinkFor(
    { secret: linkSecret(app), baseUrl: publicBase(app, req), ttlHours: app.config.VIDEO_LINK_TTL_HOURS },
    videoId,
    expiresAt,
  );
}

export function checkVideoLink(app: FastifyInstance, videoId: string, token: string) {
  return verifyVideoLink(linkSecret(app), videoId, token);
}
