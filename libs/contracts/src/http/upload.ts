import { Type, type Static } from '@sinclair/typebox';
import { Base64, DisplayFilename, OptionalNullable } from './common';

/** `POST /api/video/upload`: the client's last video, kept for analyze and alert (`use_server_buffer`). */
export const VideoUploadBody = Type.Object({
  video_data: Base64,
  video_filename: OptionalNullable(DisplayFilename),
});
export type VideoUploadBody = Static<typeof VideoUploadBody>;

export const VideoUploadReply = Type.Object({
  status: Type.String({ description: '"uploaded"' }),
  success: Type.Boolean(),
  video_id: Type.String(),
  video_filename: Type.String(),
  video_size_mb: Type.Number(),
  size_bytes: Type.Integer(),
  frame_count: Type.Integer(),
  duration: Type.Number(),
  duration_seconds: Type.Number(),
  ready_for_analysis: Type.Boolean(),
});
export type VideoUploadReply = Static<typeof VideoUploadReply>;

/** `POST /api/v1/videos/upload` (multipart field `video`): stores the clip, answers a private link. */
export const PrivateVideoReply = Type.Object({
  success: Type.Boolean(),
  video_id: Type.String(),
  video_url: Type.String(),
  expiration_time: Type.String({ description: 'ISO 8601' }),
  size_bytes: Type.Integer(),
  filename: Type.String(),
});
export type PrivateVideoReply = Static<typeof PrivateVideoReply>;

export const VideoLinkQuery = Type.Object({ token: Type.String({ minLength: 1, maxLength: 500 }) });
export type VideoLinkQuery = Static<typeof VideoLinkQuery>;
