import type { FastifyRequest } from 'fastify';
import type { BufferFrameBody, MultiSourceBufferBody } from '@vigint/contracts';
import { jsonBodyOf } from './json-or-multipart';
import { decodeBase64 } from './media-intake';
import { numberField, readMultipart } from './multipart-body';

/** One frame as the buffer routes receive it, whatever the encoding. */
export interface FrameIn {
  data: Buffer;
  frameCount: number | undefined;
  timestamp: string | number | null;
  sourceId: string | undefined;
  sourceName: string | null;
}

/** JSON (`frame_data`) or multipart (file field `frame`, fields `frame_count`, `timestamp`, `source_id`...). */
export async function readOneFrame(
  req: FastifyRequest,
  schema: typeof BufferFrameBody | typeof MultiSourceBufferBody,
): Promise<FrameIn> {
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

/** Frames per analysis taken from a buffer: the short buffer (~3 s) for screening, the long one (~10 s). */
export const FROM_BUFFER = { short: 6, long: 24 } as const;
