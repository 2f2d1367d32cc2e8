import { Type, type Static } from '@sinclair/typebox';
import { Base64, OptionalNullable } from './common';

const Timestamp = OptionalNullable(Type.Union([Type.String({ maxLength: 64 }), Type.Number()]));

export const BufferFrameBody = Type.Object({
  frame_data: Base64,
  frame_count: OptionalNullable(Type.Integer({ minimum: 0 })),
  timestamp: Timestamp,
});
export type BufferFrameBody = Static<typeof BufferFrameBody>;

export const BufferFrameReply = Type.Object({
  status: Type.String({ description: '"buffered"' }),
  success: Type.Boolean(),
  frame_count: Type.Integer(),
  buffer_size: Type.Integer(),
  timestamp: Type.Union([Type.String(), Type.Number(), Type.Null()]),
});
export type BufferFrameReply = Static<typeof BufferFrameReply>;

export const BufferBatchBody = Type.Object({
  frames: Type.Array(
    Type.Object({
      frame_data: Base64,
      frame_count: OptionalNullable(Type.Integer({ minimum: 0 })),
      timestamp: Timestamp,
    }),
    { minItems: 1, maxItems: 300 },
  ),
});
export type BufferBatchBody = Static<typeof BufferBatchBody>;

export const BufferBatchReply = Type.Object({
  status: Type.String({ description: '"buffered"' }),
  success: Type.Boolean(),
  frames_added: Type.Integer(),
  buffer_size: Type.Integer(),
});
export type BufferBatchReply = Static<typeof BufferBatchReply>;

export const MultiSourceBufferBody = Type.Object({
  frame_data: Base64,
  source_id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
  frame_count: OptionalNullable(Type.Integer({ minimum: 0 })),
  source_name: OptionalNullable(Type.String({ maxLength: 200 })),
  timestamp: Timestamp,
});
export type MultiSourceBufferBody = Static<typeof MultiSourceBufferBody>;

export const MultiSourceBufferReply = Type.Object({
  success: Type.Boolean(),
  source_id: Type.String(),
  buffer_size: Type.Integer(),
  frame_count: Type.Integer(),
});
export type MultiSourceBufferReply = Static<typeof MultiSourceBufferReply>;
