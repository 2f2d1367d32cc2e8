import { Type, type Static } from '@sinclair/typebox';
import { ErrorBody } from '../errors';
import { JobState } from '../jobs';

/** `GET /api/jobs/:id`: a job of the key's own client (others' ids → 404). */
export const JobStatusReply = Type.Object({
  job_id: Type.String(),
  name: Type.String(),
  state: Type.Enum(JobState),
  /** The route's reply (same shape as the sync answer) once completed. */
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(ErrorBody),
});
export type JobStatusReply = Static<typeof JobStatusReply>;
