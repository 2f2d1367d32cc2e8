import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  ErrorCode,
  BufferBatchBody,
  BufferBatchReply,
  BufferFrameBody,
  BufferFrameReply,
  ErrorBody,
  MultiSourceBufferBody,
  MultiSourceBufferReply,
} from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import { tenantOf } from '../../plugins/app/auth';
import { jsonBody, jsonBodyOf } from '../../services/json-or-multipart';
import { decodeBase64 } from '../../services/media-intake';
import { storeFrames } from '../../services/media-store';
import { numberField, readMultipart } from '../../services/multipart-body';

const errors = { 400: ErrorBody, 401: ErrorBody, 413: ErrorBody, 422: ErrorBody, 429: ErrorBody, 503: ErrorBody };

/** Frames into the client's buffer (Redis, TTL): `/api/video/buffer`, `/batch` and multi-source. */
const buffer: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);

  /** JSON (`frame_data`) or multipart (file field `frame`, fields `frame_count`, `timestamp`, `source_id`...). */
  async function readOne(
    req: Parameters<typeof app.authenticate>[0],
    schema: typeof BufferFrameBody | typeof MultiSourceBufferBody,
  ) {
    if (req.isMultipart()) {
      const mp = await readMultipart(req);
      await mp.cleanup();
      const file = mp.files.find((f) => f.field === 'frame' || f.field === 'frame_data');
      return {
        data: file?.data ? file.data : decodeBase64(mp.fields.frame_data ?? '', 'frame_data'),
        frameCount: numberField(mp.fields, 'frame_count'),
        timestamp: mp.fields.timestamp ?? null,
        sourceId: mp.fields.source_id,
        sourceName: mp.fields.source_name ?? null,
      };
    }
    const b = jsonBodyOf(req, schema) as MultiSourceBufferBody;
    return {
      data: decodeBase64(b.frame_data, 'frame_data'),
      frameCount: b.frame_count ?? undefined,
      timestamp: b.timestamp ?? null,
      sourceId: b.source_id,
      sourceName: b.source_name ?? null,
    };
  }

  app.post(
    '/api/video/buffer',
    { schema: { tags: ['buffer'], body: jsonBody(BufferFrameBody), response: { 200: BufferFrameReply, ...errors } } },
    async (req) => {
      const t = tenantOf(req);
      const one = await readOne(req, BufferFrameBody);
      const [key] = await storeFrames(app, [{ data: one.data, field: 'frame_data' }]);
      const size = await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, [key!], { frameCount: one.frameCount });
      const src = await app.svc.state.getSource(t.clientId, DEFAULT_SOURCE);
      return {
        status: 'buffered',
        success: true,
        frame_count: one.frameCount ?? src?.frameCount ?? size,
        buffer_size: size,
        timestamp: one.timestamp ?? new Date().toISOString(),
      };
    },
  );

  app.post(
    '/api/video/buffer/batch',
    { schema: { tags: ['buffer'], body: BufferBatchBody, response: { 200: BufferBatchReply, ...errors } } },
    async (req) => {
      const t = tenantOf(req);
      const frames = req.body.frames.map((f, i) => ({
        data: decodeBase64(f.frame_data, `frames.${i}.frame_data`),
        field: `frames.${i}.frame_data`,
      }));
      const keys = await storeFrames(app, frames);
      const size = await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, keys);
      return { status: 'buffered', success: true, frames_added: keys.length, buffer_size: size };
    },
  );

  app.post(
    '/api/video/multi-source/buffer',
    {
      schema: {
        tags: ['multi-source'],
        body: jsonBody(MultiSourceBufferBody),
        response: { 200: MultiSourceBufferReply, ...errors },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const one = await readOne(req, MultiSourceBufferBody);
      const sourceId = one.sourceId ?? '';
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(sourceId) || sourceId === DEFAULT_SOURCE) {
        throw new AppError(ErrorCode.ValidationFailed, 'source_id must be 1-100 characters of A-Z a-z 0-9 _ . : -', {
          field: 'source_id',
        });
      }
      const [key] = await storeFrames(app, [{ data: one.data, field: 'frame_data' }]);
      const size = await app.svc.state.pushFrames(t.clientId, sourceId, [key!], {
        frameCount: one.frameCount,
        sourceName: one.sourceName,
      });
      const src = await app.svc.state.getSource(t.clientId, sourceId);
      return { success: true, source_id: sourceId, buffer_size: size, frame_count: src?.frameCount ?? size };
    },
  );
};

export default buffer;
