import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode, JobName, type AlertLanguage, type IncidentRecord } from '@vigint/contracts';
import { jobIdFor } from '@vigint/queue';
import { chargeJobs, type Charge } from '../../../services/job-runner';

/**
 * An announce this late is a record, not news: the agent replaying incidents it mailed itself while the gateway
 * was away (failover), or an outbox drained after an outage. Its e-mail went or goes anyway.
 */
export const NOTICE_MAX_AGE_MS = 10 * 60_000;

/**
 * Queues the first notice of an incident the agent just announced (at confirm time, before the post-roll
 * ends). The job id is the incident's, so a retried announce finds the job it queued and is neither stored
 * nor charged again; the snapshot waits in Redis (STATE_TTL_SECONDS) for the job only, and job data carries
 * its key, never the bytes. A notice is a job like any other for the client's job quota (JOBS_PER_MINUTE):
 * past it the incident is still recorded and its e-mail still goes, only the notice is skipped.
 */
export async function queueFirstNotice(
  app: FastifyInstance,
  clientId: string,
  incident: IncidentRecord,
  snapshotJpeg: string | undefined,
  language?: AlertLanguage,
  now: Date = new Date(),
): Promise<void> {
  if (now.getTime() - Date.parse(incident.detectedAt) > NOTICE_MAX_AGE_MS) {
    app.log.info({ incidentId: incident.id }, 'announce too late for a first notice: recorded only');
    return;
  }
  const jobId = jobIdFor(JobName.NoticeSend, { clientId, incidentId: incident.id });
  if (await app.svc.queue.getJob(jobId)) return;
  let charged: Charge;
  try {
    charged = await chargeJobs(app, clientId, JobName.NoticeSend);
  } catch (err) {
    if (!(err instanceof AppError && err.code === ErrorCode.RateLimited)) throw err;
    app.log.warn({ incidentId: incident.id, clientId }, 'first notice skipped: the job quota is spent');
    return;
  }
  try {
    const snapshot = snapshotJpeg ? Buffer.from(snapshotJpeg, 'base64') : undefined;
    const snapshotBlobKey =
      snapshot && snapshot.length > 0 ? await app.svc.blobs.put(snapshot, app.config.STATE_TTL_SECONDS) : undefined;
    await app.svc.queue.enqueue(
      JobName.NoticeSend,
      {
        clientId,
        incidentId: incident.id,
        ...(language ? { language } : {}),
        ...(snapshotBlobKey ? { snapshotBlobKey } : {}),
      },
      { jobId },
    );
  } catch (err) {
    await charged.refund();
    throw err;
  }
}
