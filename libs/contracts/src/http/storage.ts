import { Type, type Static } from '@sinclair/typebox';
import { DailyCounter, OptionalNullable } from './common';

export const DiskInfo = Type.Object({
  available: Type.Boolean(),
  free_gb: Type.Number(),
  total_gb: Type.Number(),
  used_gb: Type.Number(),
  path: Type.String(),
});
export type DiskInfo = Static<typeof DiskInfo>;

export const StorageStatusReply = Type.Object({
  status: Type.String({ description: 'healthy | low_space' }),
  disk_info: DiskInfo,
  temp_files: Type.Object({ tracked: Type.Integer(), existing: Type.Integer(), total_size_mb: Type.Number() }),
  /** Vigint: this client's artifacts and today's counters. */
  artifacts: Type.Object({ count: Type.Integer(), total_bytes: Type.Integer() }),
  daily: Type.Array(DailyCounter),
});
export type StorageStatusReply = Static<typeof StorageStatusReply>;

export const CleanupBody = Type.Object({
  max_age_hours: OptionalNullable(Type.Number({ minimum: 0, maximum: 24 * 365 })),
  type: OptionalNullable(Type.Union([Type.Literal('old'), Type.Literal('all'), Type.Literal('monitor')])),
});
export type CleanupBody = Static<typeof CleanupBody>;

export const CleanupReply = Type.Object({
  success: Type.Boolean(),
  cleanup_type: Type.String(),
  cleanup_result: Type.Object({
    cleaned: Type.Integer(),
    failed: Type.Integer(),
    total: Type.Integer(),
    bytes_freed: Type.Integer(),
  }),
  disk_info_after: DiskInfo,
  daily: Type.Array(DailyCounter),
  job_id: Type.Optional(Type.String()),
});
export type CleanupReply = Static<typeof CleanupReply>;
