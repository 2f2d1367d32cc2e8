import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode, JobName, RiskLevel, IncidentType, AlertLanguage } from '@vigint/contracts';
import { assertSafeJobId, isSafeJobId, jobIdFor, jobOptionsFor, safeIdPart } from './job-options';
import { JOB_FAILED_SENTENCE, decodeJobError, encodeJobError } from './job-error';
import { assertAllHandlers } from './worker-factory';

const alert = {
  clientId: 'client-1',
  apiKeyId: null,
  alertKey: 'incident:42',
  cameraName: 'front door',
  riskLevel: RiskLevel.High,
  incidentType: IncidentType.Intrusion,
  analysis: 'someone at the door',
  frameBlobKeys: [],
  language: AlertLanguage.En,
  occurredAt: '2026-01-01T00:00:00.000Z',
};

describe('jobOptionsFor', () => {
  it('gives an alert a deterministic, BullMQ-safe id from client and alert key', () => {
    const a = jobOptionsFor(JobName.AlertSend, alert);
    const b = jobOptionsFor(JobName.AlertSend, { ...alert, analysis: 'worded differently' });
    expect(a.jobId).toBe(b.jobId);
    expect(a.jobId).toMatch(/^alert-client-1-incident_42_[0-9a-f]{16}$/);
    expect(a.jobId).not.toContain(':');
    const other = jobOptionsFor(JobName.AlertSend, { ...alert, clientId: 'client-2' });
    expect(other.jobId).not.toBe(a.jobId);
  });

  it('keeps keys that differ only in replaced characters apart', () => {
    expect(safeIdPart('a:b')).not.toBe(safeIdPart('a/b'));
    expect(safeIdPart('plain-key_1')).toBe('plain-key_1');
    expect(safeIdPart('x'.repeat(300)).length).toBeLessThanOrEqual(77);
  });

  it('gives other jobs random prefixed ids, never all digits', () => {
    const data = { clientId: 'c', mode: 'expired' as const };
    const a = jobIdFor(JobName.StorageCleanup, data);
    const b = jobIdFor(JobName.StorageCleanup, data);
    expect(a).not.toBe(b);
    expect(a.startsWith('cleanup-')).toBe(true);
    expect(isSafeJobId(a)).toBe(true);
  });

  it('sets attempts, exponential backoff with jitter and age-bounded retention', () => {
    for (const name of Object.values(JobName)) {
      const data = name === JobName.NoticeSend ? { clientId: '7', incidentId: 'inc-1' } : alert;
      const opts = jobOptionsFor(name, data as never);
      expect(opts.attempts).toBeGreaterThanOrEqual(2);
      expect(opts.backoff).toMatchObject({ type: 'exponential', jitter: 0.5 });
      expect((opts.removeOnComplete as { age: number }).age).toBeGreaterThanOrEqual(3600);
      expect((opts.removeOnFail as { age: number }).age).toBeGreaterThanOrEqual(3600);
    }
    expect(jobOptionsFor(JobName.AlertSend, alert).attempts).toBeGreaterThan(
      jobOptionsFor(JobName.FrameAnalyze, alert as never).attempts!,
    );
  });

  it('gives one notice job per client and incident', () => {
    const a = jobOptionsFor(JobName.NoticeSend, { clientId: '7', incidentId: '0b6f7a2e-8f0c' }).jobId;
    expect(a).toBe('notice-7-0b6f7a2e-8f0c');
    expect(jobOptionsFor(JobName.NoticeSend, { clientId: '8', incidentId: '0b6f7a2e-8f0c' }).jobId).not.toBe(a);
  });

  it('honours a caller id and rejects unsafe ones', () => {
    expect(jobOptionsFor(JobName.ClientErase, { clientId: 'c' }, 'erase-mine').jobId).toBe('erase-mine');
    expect(() => assertSafeJobId('12345')).toThrow(AppError);
    expect(() => assertSafeJobId('a:b')).toThrow(/invalid job id/);
  });
});

describe('job error encoding', () => {
  it('round-trips an AppError body through failedReason', () => {
    const reason = encodeJobError(
      new AppError(ErrorCode.InvalidImage, 'frame 2 is not an image', { field: 'frames.2' }),
    );
    expect(decodeJobError(reason)).toEqual({
      error: 'frame 2 is not an image',
      code: ErrorCode.InvalidImage,
      field: 'frames.2',
    });
  });

  it('maps a plain failure to JOB_FAILED with a fixed sentence (no path, no driver text)', () => {
    expect(decodeJobError('job stalled more than allowable limit')).toEqual({
      error: JOB_FAILED_SENTENCE,
      code: ErrorCode.JobFailed,
    });
    const driver = new Error("ENOENT: no such file or directory, open '/srv/vigint/data/tmp/x.mp4'");
    expect(decodeJobError(encodeJobError(driver))).toEqual({ code: ErrorCode.JobFailed, error: JOB_FAILED_SENTENCE });
  });

  it('gives our own 5xx failures a code and a fixed sentence, keeps 4xx messages', () => {
    const pg = new AppError(
      ErrorCode.DependencyUnavailable,
      'database unavailable: connect ECONNREFUSED 10.0.0.7:5432',
    );
    expect(decodeJobError(encodeJobError(pg))).toEqual({
      code: ErrorCode.DependencyUnavailable,
      error: 'a service the job needs was unavailable',
    });
    const bug = new AppError(ErrorCode.Internal, 'ffmpeg exited 1: /tmp/vigint-job-1/input: moov atom not found');
    expect(decodeJobError(encodeJobError(bug))).toEqual({ code: ErrorCode.Internal, error: JOB_FAILED_SENTENCE });
  });
});

describe('assertAllHandlers', () => {
  it('fails at startup naming every job without a handler', () => {
    const some = { [JobName.AlertSend]: async () => ({}), [JobName.VideoCreate]: async () => ({}) };
    expect(() => assertAllHandlers(some)).toThrow(/FrameAnalyze.*VideoCompress.*StorageCleanup.*ClientErase/);
  });
});
