import { Type, type Static } from '@sinclair/typebox';
import { VideoFormatSchema } from '../risk';
import { Base64, DisplayFilename, OptionalNullable } from './common';

/** `POST /api/video/compress`: result guaranteed ≤ `max_size_mb`, duration kept. */
export const CompressBody = Type.Object({
  video_data: Base64,
  filename: OptionalNullable(DisplayFilename),
  max_size_mb: OptionalNullable(Type.Number({ exclusiveMinimum: 0, maximum: 500 })),
  quality_reduction: OptionalNullable(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
});
export type CompressBody = Static<typeof CompressBody>;

export const CompressReply = Type.Object({
  success: Type.Boolean(),
  video_data: Type.String({ description: 'base64 of the compressed video' }),
  original_size: Type.Integer(),
  compressed_size: Type.Integer(),
  compression_ratio: Type.Number(),
  download_id: Type.String(),
  download_url: Type.String(),
  size_bytes: Type.Integer(),
  duration_seconds: Type.Number(),
  filename: Type.String(),
  job_id: Type.Optional(Type.String()),
});
export type CompressReply = Static<typeof CompressReply>;

/** `POST /api/video/create`: frames → H.264 video. `fps` null → 25, `video_format` null → mp4. */
export const CreateBody = Type.Object({
  frames: Type.Array(Base64, { minItems: 1, maxItems: 3000 }),
  output_filename: OptionalNullable(DisplayFilename),
  fps: OptionalNullable(Type.Number({ exclusiveMinimum: 0, maximum: 120 })),
  video_format: OptionalNullable(VideoFormatSchema),
});
export type CreateBody = Static<typeof CreateBody>;

export const CreateReply = Type.Object({
  success: Type.Boolean(),
  video_data: Type.String({ description: 'base64 of the video' }),
  download_id: Type.String(),
  download_url: Type.String(),
  frames_processed: Type.Integer(),
  duration: Type.Number(),
  duration_seconds: Type.Number(),
  resolution: Type.String({ description: 'WIDTHxHEIGHT' }),
  size_bytes: Type.Integer(),
  video_format: Type.String(),
  filename: Type.String(),
  job_id: Type.Optional(Type.String()),
});
export type CreateReply = Static<typeof CreateReply>;
