import type { FastifyInstance } from 'fastify';
import { JobName, type AlertLanguage, type IncidentRecord } from '@vigint/contracts';

/**
 * An announce this late is a record, not news: the agent replaying incidents it mailed itself while the gateway
 * was away (failover), or an outbox drained after an outage. Its e-mail went or goes anyway.
 */
export const NOTICE_MAX_AGE_MS = 10 * 60_000;

/**
 * Queues the first notice of an incident the agent just announced (at confirm time, before the post-roll
 * ends). The job id is the incident's, so a retried announce finds the job it queued; the snapshot waits in
 * Redis (STATE_TTL_SECONDS) for the job only, and job data carries its key, never the bytes.
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
  const snapshot = snapshotJpeg ? Buffer.from(snapshotJpeg, 'base64') : undefined;
  const snapshotBlobKey =
    snapshot && snapshot.length > 0 ? await app.svc.blobs.put(snapshot, app.config.STATE_TTL_SECONDS) : undefined;
  await app.svc.queue.enqueue(JobName.NoticeSend, {
    clientId,
    incidentId: incident.id,
    ...(language ? { language } : {}),
    ...(snapshotBlobKey ? { snapshotBlobKey } : {}),
  });
}
