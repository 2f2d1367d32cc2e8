import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AnalyzeBody, AnalyzeReply, AppError, ErrorReplies, ErrorCode, JobAccepted, JobName } from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import { tenantOf } from '../../../../plugins/app/auth';
import { runJob, sendAccepted } from '../../../../services/job-runner';
import { FROM_BUFFER } from '../../../../services/frame-intake';
import { jsonBody, jsonBodyOf } from '../../../../services/json-or-multipart';
import { decodeBase64 } from '../../../../services/media-intake';
import { storeFrames } from '../../../../services/media-store';
import { readMultipart } from '../../../../services/multipart-body';
import { analyzeReply, languageOf } from '../../../../services/replies';

/**
 * `POST /api/video/analyze`: the frame in the body, or with `frame: null`/`{}` what the client last sent
 * (multi-source analysis is in ../multi-source).
 */
const analyze: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/analyze',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(AnalyzeBody),
        response: { 200: AnalyzeReply, 202: JobAccepted, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      let body: AnalyzeBody = {};
      const given: { data: Buffer; field: string }[] = [];
      const confirm: { data: Buffer; field: string }[] = [];
      if (req.isMultipart()) {
        const mp = await readMultipart(req);
        await mp.cleanup();
        mp.files
          .filter((f) => f.field === 'frame' || f.field === 'frames')
          .forEach((f, i) => given.push({ data: f.data!, field: f.field === 'frame' ? 'frame' : `frames.${i}` }));
        mp.files
          .filter((f) => f.field === 'confirm_frames')
          .forEach((f, i) => confirm.push({ data: f.data!, field: `confirm_frames.${i}` }));
        const count = Number(mp.fields.frame_count);
        body = {
          buffer_type: (mp.fields.buffer_type as 'short' | 'long' | undefined) ?? null,
          language: (mp.fields.language as AnalyzeBody['language']) ?? null,
          camera_name: mp.fields.camera_name ?? null,
          frame_count: Number.isInteger(count) && count >= 0 ? count : null,
        };
      } else {
        body = jsonBodyOf(req, AnalyzeBody);
        if (body.frame) given.push({ data: decodeBase64(body.frame, 'frame'), field: 'frame' });
        (body.frames ?? []).forEach((f, i) =>
          given.push({ data: decodeBase64(f, `frames.${i}`), field: `frames.${i}` }),
        );
        (body.confirm_frames ?? []).forEach((f, i) =>
          confirm.push({ data: decodeBase64(f, `confirm_frames.${i}`), field: `confirm_frames.${i}` }),
        );
      }
      if (confirm.length > 0 && given.length === 0) {
        throw new AppError(ErrorCode.ValidationFailed, 'confirm_frames needs frames (the screening frames)', {
          field: 'frames',
        });
      }
      const bufferType = body.buffer_type ?? 'short';
      if (bufferType !== 'short' && bufferType !== 'long') {
        throw new AppError(ErrorCode.ValidationFailed, 'buffer_type must be short or long', { field: 'buffer_type' });
      }

      let frameBlobKeys: string[] = [];
      let confirmBlobKeys: string[] = [];
      let videoArtifactId: string | undefined;
      if (confirm.length > 0) {
        // A Vigint agent chose both stages' frames as local mode does: they stay out of the per-client buffer.
        [frameBlobKeys, confirmBlobKeys] = await Promise.all([
          storeFrames(app, t.clientId, given),
          storeFrames(app, t.clientId, confirm),
        ]);
      } else if (given.length > 0) {
        frameBlobKeys = await storeFrames(app, t.clientId, given);
        // Frames sent to analyze also feed the buffer, so a later alert with use_server_buffer finds them.
        await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, frameBlobKeys);
        if (bufferType === 'long')
          frameBlobKeys = await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, FROM_BUFFER.long);
      } else {
        const [src, upload] = await Promise.all([
          app.svc.state.getSource(t.clientId, DEFAULT_SOURCE),
          app.svc.state.getLastUpload(t.clientId),
        ]);
        const bufferNewer = src && src.bufferSize > 0 && (!upload || (src.updatedAt ?? '') > upload.uploadedAt);
        if (bufferNewer)
          frameBlobKeys = await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, FROM_BUFFER[bufferType]);
        else if (upload) {
          videoArtifactId = upload.artifactId;
          frameBlobKeys = (upload.frameBlobKeys ?? []).slice(-FROM_BUFFER[bufferType]);
        } else
          throw new AppError(
            ErrorCode.NothingBuffered,
            'nothing to analyze: send frame, or buffer frames or upload a video first',
            { field: 'frame' },
          );
      }

      const out = await runJob(app, req, JobName.FrameAnalyze, {
        clientId: t.clientId,
        apiKeyId: t.apiKeyId,
        bufferType,
        frameBlobKeys,
        ...(confirmBlobKeys.length > 0
          ? { confirmBlobKeys, ...(body.frame_count != null ? { frameCount: body.frame_count } : {}) }
          : {}),
        ...(videoArtifactId ? { videoArtifactId } : {}),
        language: languageOf(t, body.language),
        ...(body.camera_name ? { cameraName: body.camera_name } : {}),
      });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
      if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
      return analyzeReply(app, req, t, out.result, out.jobId);
    },
  );
};

export default analyze;
