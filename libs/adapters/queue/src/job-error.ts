import { AppError, ERROR_HTTP_STATUS, ErrorCode, isAppError, type ErrorBody } from '@vigint/contracts';

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

/*
 * What a caller reads of a failure on our side (5xx): a code and a fixed sentence, never the worker's text
 * (file paths, driver and provider messages). The full message is in the worker's log ('job failed…').
 * 4xx bodies are the caller's own mistake and keep their message and field.
 */
const FIXED_SENTENCE: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.DependencyUnavailable]: 'a service the job needs was unavailable',
  [ErrorCode.Timeout]: 'the job timed out',
  [ErrorCode.StorageFull]: 'storage is full',
};
export const JOB_FAILED_SENTENCE = 'the job failed; the details are in the worker logs';

/** The inverse of encodeJobError, for callers; anything else (stalled too often, a crash) is JOB_FAILED. */
export function decodeJobError(failedReason: string | undefined): JobErrorBody {
  const reason = failedReason ?? '';
  if (reason.startsWith(MARK)) {
    try {
      const parsed = JSON.parse(reason.slice(MARK.length)) as Partial<JobErrorBody>;
      const body = AppError.fromBody(parsed).toBody();
      if ((ERROR_HTTP_STATUS[body.code] ?? 500) >= 500) {
        return { error: FIXED_SENTENCE[body.code] ?? JOB_FAILED_SENTENCE, code: body.code };
      }
      return { error: body.error, code: body.code, ...(body.field ? { field: body.field } : {}) };
    } catch {
      // fall through: a truncated or foreign reason is still a failure
    }
  }
  return { error: JOB_FAILED_SENTENCE, code: ErrorCode.JobFailed };
}
