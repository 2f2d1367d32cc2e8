import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, VideoUploadBody } from '@vigint/contracts';
import type { TenantRecord } from './gateway.repository';
import { jsonBodyOf } from './json-or-multipart';
import { decodeBase64, displayFilename } from './media-intake';
import { storeVideo, type StoredVideo } from './media-store';
import { readMultipart } from './multipart-body';

/**
 * One caller video in a request, as the earlier API takes it: a multipart `video` (or `video_data`) part streamed
 * to disk, or base64 `video_data` in JSON; with an optional `video_filename`. Probed and stored by storeVideo.
 */
export async function readVideoUpload(
  app: FastifyInstance,
  req: FastifyRequest,
  t: TenantRecord,
  options: { kind: string; defaultName: string; sampleFrames?: number },
): Promise<{ stored: StoredVideo; filename: string }> {
  const { kind, defaultName, sampleFrames } = options;
  if (!req.isMultipart()) {
    const b = jsonBodyOf(req, VideoUploadBody);
    const filename = displayFilename(b.video_filename, 'video_filename', defaultName);
    const stored = await storeVideo(app, t, decodeBase64(b.video_data, 'video_data'), {
      filename,
      kind,
      field: 'video_data',
      sampleFrames,
    });
    return { stored, filename };
  }
  const mp = await readMultipart(req, ['video', 'video_data']);
  try {
    const file = mp.files.find((f) => f.field === 'video' || f.field === 'video_data');
    if (!file?.open) throw new AppError(ErrorCode.ValidationFailed, 'video is required', { field: 'video' });
    const filename = displayFilename(mp.fields.video_filename ?? file.filename, 'video_filename', defaultName);
    const stored = await storeVideo(app, t, file.open(), { filename, kind, field: 'video', sampleFrames });
    return { stored, filename };
  } finally {
    await mp.cleanup();
  }
}
