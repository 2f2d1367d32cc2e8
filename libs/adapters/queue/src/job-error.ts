import { AppError, ErrorCode, isAppError, type ErrorBody } from '@vigint/contracts';

export type JobErrorBody = Pick<ErrorBody, 'error' | 'code' | 'field'>;

const MARK = 'vigint-error:';

/**
 * BullMQ keeps only a string (`failedReason`) for a failed job, and the producer runs in another process:
 * the AppError body rides in that string so the gateway maps it back to the same code and status.
 */
export function encodeJobError(err: unknown): string {
  if (isAppError(err)) {
    const e = err as AppError;
    const body: JobErrorBody = { error: e.message, code: e.code };
    if (e.field) body.field = e.field;
    return MARK + JSON.stringify(body);
  }
  return err instanceof Error ? err.message : String(err);
}

/** The inverse of encodeJobError; anything else (stalled too often, a crash) is JOB_FAILED. */
export function decodeJobError(failedReason: string | undefined): JobErrorBody {
  const reason = failedReason ?? 'job failed';
  if (reason.startsWith(MARK)) {
    try {
      const parsed = JSON.parse(reason.slice(MARK.length)) as Partial<JobErrorBody>;
      const body = AppError.fromBody(parsed).toBody();
      return { error: body.error, code: body.code, ...(body.field ? { field: body.field } : {}) };
    } catch {
      // fall through: a truncated or foreign reason is still a failure
    }
  }
  return { error: reason, code: ErrorCode.JobFailed };
}
