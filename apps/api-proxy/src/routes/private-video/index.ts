import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, ErrorBody, ErrorCode, IdParams, PrivateVideoReply, VideoLinkQuery } from '@vigint/contracts';
import { tenantOf } from '../../plugins/app/auth';
import { sendArtifact } from '../../services/artifact-response';
import { displayFilename } from '../../services/media-intake';
import { storeVideo } from '../../services/media-store';
import { readMultipart } from '../../services/multipart-body';
import { checkVideoLink, videoLink } from '../../services/video-links';
import { renderVideoPage } from './video-page';

/**
 * Private incident links: `POST /api/v1/videos/upload` (multipart `video`) → a signed link;
 * `GET /video/:id?token=` the page with the player; `GET /video/:id/raw?token=` the clip (Range).
 * The token (HMAC over id and expiry) is the access check: people open these from an e-mail, without a key.
 */
const privateVideo: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/videos/upload',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['video'],
        consumes: ['multipart/form-data'],
        response: {
          200: PrivateVideoReply,
          400: ErrorBody,
          401: ErrorBody,
          413: ErrorBody,
          422: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      if (!req.isMultipart())
        throw new AppError(ErrorCode.BadRequest, 'send multipart/form-data with a `video` file field', {
          field: 'video',
        });
      const mp = await readMultipart(req, ['video', 'file']);
      try {
        const file = mp.files.find((f) => f.field === 'video' || f.field === 'file');
        if (!file?.open) throw new AppError(ErrorCode.ValidationFailed, 'video is required', { field: 'video' });
        const filename = displayFilename(mp.fields.filename ?? file.filename, 'filename', 'video.mp4');
        const stored = await storeVideo(app, t, file.open(), {
          filename,
          kind: 'private',
          field: 'video',
          ttlHours: Math.max(app.config.VIDEO_LINK_TTL_HOURS, app.config.ARTIFACT_TTL_HOURS),
        });
        const link = videoLink(app, req, stored.artifact.id);
        return {
          success: true,
          video_id: stored.artifact.id,
          video_url: link.url,
          expiration_time: link.expiresAt.toISOString(),
          size_bytes: stored.artifact.bytes,
          filename,
        };
      } finally {
        await mp.cleanup();
      }
    },
  );

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
    { schema: { tags: ['video'], params: IdParams, querystring: VideoLinkQuery, response: { 404: ErrorBody } } },
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
    { schema: { tags: ['video'], params: IdParams, querystring: VideoLinkQuery, response: { 404: ErrorBody } } },
    async (req, reply) => {
      // Range requests come in many per view: only the first (no Range or from byte 0) is audited.
      const first = !req.headers.range || /^bytes=0-/.test(req.headers.range);
      const check = checkVideoLink(app, req.params.id, req.query.token);
      if (!check.valid) throw new AppError(ErrorCode.NotFound, 'Video not found or expired');
      const a = first
        ? (await resolveLink(req.params.id, req.query.token, req.ip, 'video.link.stream')).a
        : await app.svc.repo.findArtifact(req.params.id, null);
      if (!a) throw new AppError(ErrorCode.NotFound, 'Video not found or expired');
      return sendArtifact(app, req, reply, a, 'inline');
    },
  );
};

export default privateVideo;
