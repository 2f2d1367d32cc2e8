import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorCode, ErrorReplies, IdParams, VideoLinkQuery } from '@vigint/contracts';
import { sendArtifact } from '../../services/artifact-response';
import { checkVideoLink } from '../../services/video-links';
import { renderVideoPage } from './video-page';

/**
 * Private incident links (made by `POST /api/v1/videos/upload` and by alerts): `GET /video/:id?token=` the
 * page with the player; `GET /video/:id/raw?token=` the clip (Range). Public scope: the token (HMAC over id
 * and expiry) is the access check, since people open these from an e-mail, without a key.
 */
const privateVideo: FastifyPluginAsyncTypebox = async (app) => {
  async function resolveLink(id: string, token: string, ip: string, action: string) {
    const check = checkVideoLink(app, id, token);
    if (!check.valid) {
      throw new AppError(
        ErrorCode.NotFound,
        check.reason === 'expired' ? 'this link has expired' : 'Video not found or expired',
      );
    }
    const a = await app.svc.repo.findArtifact(id, null);
    if (!a) throw new AppError(ErrorCode.NotFound, 'Video not found or expired');
    await app.svc.repo.audit({ clientId: a.clientId, apiKeyId: null, action, target: a.id, ip });
    return { a, expiresAt: check.expiresAt! };
  }

  app.get(
    '/video/:id',
    { schema: { tags: ['video'], params: IdParams, querystring: VideoLinkQuery, response: ErrorReplies } },
    async (req, reply) => {
      const { a, expiresAt } = await resolveLink(req.params.id, req.query.token, req.ip, 'video.link.view');
      const meta = await app.svc.state.getVideoMeta(a.id).catch(() => null);
      const rawUrl = `/video/${encodeURIComponent(a.id)}/raw?token=${encodeURIComponent(req.query.token)}`;
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'private, no-store')
        .header('referrer-policy', 'no-referrer')
        .header(
          'content-security-policy',
          "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; img-src 'self'",
        )
        .send(
          renderVideoPage({
            rawUrl,
            mime: a.mime,
            meta,
            createdAt: a.createdAt,
            expiresAt: expiresAt.toISOString(),
          }) as never,
        );
    },
  );

  app.get(
    '/video/:id/raw',
    { schema: { tags: ['video'], params: IdParams, querystring: VideoLinkQuery, response: ErrorReplies } },
    async (req, reply) => {
      // Every request is audited: a Range from byte N streams nearly the whole clip too. A player's later
      // ranges are told apart from the view itself by the action.
      const first = !req.headers.range || /^bytes=0-/.test(req.headers.range);
      const action = first ? 'video.link.stream' : 'video.link.range';
      const { a } = await resolveLink(req.params.id, req.query.token, req.ip, action);
      return sendArtifact(app, req, reply, a, 'inline');
    },
  );
};

export default privateVideo;
