import { FirstNoticeService } from '@vigint/alerting';
import { AppError, ErrorCode, JobName, type NoticeSendPayload, type NoticeSendResult } from '@vigint/contracts';
import type { Db } from '@vigint/db';
import type { BlobStore, JobContext, JobHandler } from '@vigint/queue';

export interface NoticeDeps {
  /** Built per job by the caller's factory: the ledger is the client's. */
  firstNotice: Pick<FirstNoticeService, 'send'>;
  blobs: Pick<BlobStore, 'get' | 'delete'>;
  db: Pick<Db, 'incidents' | 'clients'>;
}

/**
 * The first notice of an incident (push channels), queued by `POST /api/incidents` at confirm time, before
 * the post-roll ends and the e-mail goes. One job per incident (its id), one delivery per incident and channel
 * (the ledger), so a replayed announce or a retried job never notifies twice; a channel that failed in a way
 * that may pass makes the job throw, and BullMQ's backoff tries that channel again.
 */
export class NoticeProcessor {
  constructor(private readonly deps: NoticeDeps) {}

  handlers(): { [JobName.NoticeSend]: JobHandler<JobName.NoticeSend> } {
    return { [JobName.NoticeSend]: (data, ctx) => this.send(data, ctx) };
  }

  async send(data: NoticeSendPayload, ctx: JobContext): Promise<NoticeSendResult> {
    const { db, blobs } = this.deps;
    const incident = await db.incidents.get(data.clientId, data.incidentId);
    if (!incident) {
      ctx.log.warn({ incidentId: data.incidentId }, 'incident gone (expired or erased): no notice');
      return { skipped: 'not_found', outcomes: [] };
    }
    const client = await db.clients.findById(data.clientId);
    const snapshot = data.snapshotBlobKey ? await this.snapshot(data.snapshotBlobKey, ctx) : undefined;
    const report = await this.deps.firstNotice.send({
      clientId: data.clientId,
      cameraId: incident.cameraId,
      incidentId: incident.id,
      // Agent keys are per client (`${cameraId}-${ms}`): the ledger's key must not meet another client's.
      idempotencyKey: `${data.clientId}.${incident.idempotencyKey}`,
      incidentKey: incident.idempotencyKey,
      cameraName: incident.cameraName,
      riskLevel: incident.riskLevel,
      incidentType: incident.incidentType,
      summary: incident.summary,
      occurredAt: new Date(incident.startedAt),
      language: data.language ?? client?.language,
      snapshot,
    });
    const outcomes = report.outcomes.map((o) => ({ channel: o.channel, status: o.status, attempts: o.attempts }));
    ctx.log.info({ incidentId: incident.id, skipped: report.skipped, outcomes }, 'first notice handled');
    const retry = report.outcomes.filter((o) => o.status === 'failed' && o.retryable);
    if (retry.length > 0) {
      // The channels that went out are claimed as sent: the next attempt only tries these again.
      throw new AppError(
        ErrorCode.DependencyUnavailable,
        `notice not delivered on ${retry.map((o) => o.channel).join(', ')}: ${retry[0]!.error ?? `HTTP ${retry[0]!.httpStatus}`}`,
      );
    }
    if (data.snapshotBlobKey) await blobs.delete(data.snapshotBlobKey).catch(() => undefined);
    return { ...(report.skipped ? { skipped: report.skipped } : {}), outcomes };
  }

  /** The snapshot may have expired from Redis by a late retry: the notice goes without it. */
  private async snapshot(key: string, ctx: JobContext): Promise<Buffer | undefined> {
    try {
      return await this.deps.blobs.get(key);
    } catch (err) {
      if ((err as AppError).code !== ErrorCode.NotFound) throw err;
      ctx.log.warn('notice snapshot expired; sending without it');
      return undefined;
    }
  }
}
