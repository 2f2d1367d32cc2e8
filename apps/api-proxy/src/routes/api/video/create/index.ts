import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  CreateBody,
  CreateReply,
  ErrorCode,
  ErrorReplies,
  JobAccepted,
  JobName,
  VideoFormat,
} from '@vigint/contracts';
import { tenantOf } from '../../../../plugins/app/auth';
import { runJob, sendAccepted } from '../../../../services/job-runner';
import { jsonBody, jsonBodyOf } from '../../../../services/json-or-multipart';
import { decodeBase64, displayFilename } from '../../../../services/media-intake';
import { storeFrames } from '../../../../services/media-store';
import { numberField, readMultipart } from '../../../../services/multipart-body';
import { createReply } from '../../../../services/replies';

/** `POST /api/video/create`: JPEG frames → H.264 video (`fps` null → 25, `video_format` null → mp4). */
const create: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/create',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(CreateBody),
        response: { 200: CreateReply, 202: JobAccepted, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      let frames: { data: Buffer; field: string }[];
      let fps: number | undefined;
      let format: string | undefined;
      let name: string | null | undefined;
      if (req.isMultipart()) {
        const mp = await readMultipart(req);
        await mp.cleanup();
        frames = mp.files
          .filter((f) => f.field === 'frames' || f.field === 'frame')
          .map((f, i) => ({ data: f.data!, field: `frames.${i}` }));
        fps = numberField(mp.fields, 'fps');
        format = mp.fields.video_format && mp.fields.video_format !== 'null' ? mp.fields.video_format : undefined;
        name = mp.fields.output_filename;
        if (frames.length === 0)
          throw new AppError(ErrorCode.ValidationFailed, 'frames is required', { field: 'frames' });
      } else {
        const b = jsonBodyOf(req, CreateBody);
        frames = b.frames.map((f, i) => ({ data: decodeBase64(f, `frames.${i}`), field: `frames.${i}` }));
        fps = b.fps ?? undefined;
        format = b.video_format ?? undefined;
        name = b.output_filename;
      }
      const fmt = format ?? VideoFormat.Mp4;
      if (fmt !== VideoFormat.Mp4 && fmt !== VideoFormat.Webm) {
        throw new AppError(ErrorCode.UnsupportedFormat, 'video_format must be mp4 or webm', { field: 'video_format' });
      }
      const rate = fps ?? 25;
      if (!(rate > 0) || rate > 120)
        throw new AppError(ErrorCode.ValidationFailed, 'fps must be > 0 and ≤ 120', { field: 'fps' });
      const outputName = displayFilename(name, 'output_filename', `video.${fmt}`, fmt);
      const keys = await storeFrames(app, t.clientId, frames);
      const out = await runJob(app, req, JobName.VideoCreate, {
        clientId: t.clientId,
        apiKeyId: t.apiKeyId,
        frameBlobKeys: keys,
        fps: rate,
        format: fmt as VideoFormat,
        outputName,
      });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
      if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
      return createReply(app, t, out.result, out.jobId);
    },
  );
};

export default create;
