import {
  AppError,
  ErrorCode,
  JobName,
  type ClientErasePayload,
  type StorageCleanupPayload,
  type StorageCleanupResult,
} from '@vigint/contracts';
import type { ArtifactRecord, Db } from '@vigint/db';
import type { ClientStateStore, JobContext, JobHandler, JobQueue } from '@vigint/queue';
import type { ArtifactStore } from '@vigint/storage';

export interface MaintenanceDeps {
  db: Pick<Db, 'artifacts' | 'clients'>;
  store: Pick<ArtifactStore, 'delete'>;
  /**
   * The gateway's per-client state in Redis (frame buffers and their blobs, last upload, the video pages'
   * metadata): erased with the client's videos.
   */
  clientState?: Pick<ClientStateStore, 'clear' | 'deleteVideoMeta'>;
  /** The client's BullMQ jobs (payloads, results, failures): erased too. */
  jobs?: Pick<JobQueue, 'removeClientJobs'>;
}

const PAGE = 500;

/**
 * Retention (issue 5, storage and retention): expired artifacts, a client's artifacts older than a bound,
 * or all of them; and erasing one client's stored footage. Rows go before bytes: a crash in between leaves
 * orphan bytes (harmless, invisible), never a row pointing at missing bytes.
 */
export class MaintenanceProcessor {
  constructor(private readonly deps: MaintenanceDeps) {}

  handlers(): {
    [JobName.StorageCleanup]: JobHandler<JobName.StorageCleanup>;
    [JobName.ClientErase]: JobHandler<JobName.ClientErase>;
  } {
    return {
      [JobName.StorageCleanup]: (data, ctx) => this.cleanup(data, ctx),
      [JobName.ClientErase]: (data, ctx) => this.erase(data, ctx),
    };
  }

  async cleanup(data: StorageCleanupPayload, ctx: JobContext): Promise<StorageCleanupResult> {
    const { artifacts } = this.deps.db;
    const totals: StorageCleanupResult = { cleaned: 0, failed: 0, total: 0, bytesFreed: 0 };
    if (data.mode === 'expired') {
      // Pages of expired rows until none is left (or only ones that keep failing).
      const seen = new Set<string>();
      for (;;) {
        const page = (await artifacts.listExpired(new Date(), PAGE)).filter(
          (a) => !seen.has(a.id) && (data.clientId === null || a.clientId === data.clientId),
        );
        if (page.length === 0) break;
        page.forEach((a) => seen.add(a.id));
        await this.removeAll(page, totals, ctx);
      }
    } else {
      if (data.clientId === null) {
        throw new AppError(ErrorCode.BadRequest, `cleanup mode ${data.mode} needs a client`, { field: 'clientId' });
      }
      if (data.mode === 'old' && data.maxAgeHours === undefined) {
        throw new AppError(ErrorCode.ValidationFailed, 'cleanup mode old needs maxAgeHours', { field: 'maxAgeHours' });
      }
      const olderThan = data.mode === 'old' ? new Date(Date.now() - data.maxAgeHours! * 3_600_000) : undefined;
      await this.removeAll(await artifacts.listForClient(data.clientId, { olderThan }), totals, ctx);
    }
    ctx.log.info({ ...totals, mode: data.mode, clientId: data.clientId }, 'storage cleanup done');
    return totals;
  }

  /**
   * Erases everything the client's footage left: stored videos (bytes and rows) and their page metadata,
   * buffered frames and every frame blob, incidents, alerts and notice deliveries, and the client's jobs
   * (data and results) except this one. The client, its keys and settings, usage counts and the audit log stay.
   */
  async erase(data: ClientErasePayload, ctx: JobContext): Promise<StorageCleanupResult> {
    // Queued jobs first, so none of them starts and writes again while the rest is erased.
    const first = await this.deps.jobs?.removeClientJobs(data.clientId, ctx.jobId);
    await this.deps.clientState?.clear(data.clientId);
    const rows = await this.deps.db.artifacts.deleteAllForClient(data.clientId);
    await this.deps.clientState?.deleteVideoMeta(rows.map((r) => r.id));
    const records = await this.deps.db.clients.eraseRecords(data.clientId);
    const totals: StorageCleanupResult = { cleaned: 0, failed: 0, total: rows.length, bytesFreed: 0 };
    for (const row of rows) {
      try {
        await this.deps.store.delete(row.storageKey);
        totals.cleaned += 1;
        totals.bytesFreed += row.bytes;
      } catch (err) {
        totals.failed += 1;
        ctx.log.warn({ artifactId: row.id, err: (err as Error).message }, 'artifact bytes not deleted');
      }
    }
    if (totals.failed > 0) {
      // Rows are gone already; a retry cannot find these bytes again, so say so loudly instead of retrying.
      ctx.log.error({ failed: totals.failed }, 'client erase left orphan bytes');
    }
    // Again at the end: jobs that were running meanwhile have finished (or are still running: logged).
    const last = (await this.deps.jobs?.removeClientJobs(data.clientId, ctx.jobId)) ?? { removed: 0, active: 0 };
    if (last.active > 0) ctx.log.warn({ active: last.active }, 'client erase: jobs still running were not removed');
    const jobsRemoved = (first?.removed ?? 0) + last.removed;
    ctx.log.info({ ...totals, ...records, jobsRemoved, clientId: data.clientId }, 'client erase done');
    return totals;
  }

  private async removeAll(rows: ArtifactRecord[], totals: StorageCleanupResult, ctx: JobContext): Promise<void> {
    totals.total += rows.length;
    for (const row of rows) {
      try {
        const deleted = await this.deps.db.artifacts.delete(row.id);
        if (deleted) await this.deps.store.delete(row.storageKey);
        totals.cleaned += 1;
        totals.bytesFreed += row.bytes;
      } catch (err) {
        totals.failed += 1;
        ctx.log.warn({ artifactId: row.id, err: (err as Error).message }, 'artifact not cleaned');
      }
    }
  }
}
