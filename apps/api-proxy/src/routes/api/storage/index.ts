import { statfs, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CleanupBody,
  CleanupReply,
  ErrorReplies,
  JobAccepted,
  JobName,
  StorageStatusReply,
  type DiskInfo,
} from '@vigint/contracts';
import { tenantOf } from '../../../plugins/app/auth';
import { runJob, sendAccepted } from '../../../services/job-runner';

const GB = 1024 ** 3;
const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * The client's own view of storage: `used_gb` is its own stored bytes, `free_gb` the room left on the
 * artifact disk (for the postgres/s3 backends: the gateway's temp disk), `total_gb` their sum. The shared
 * volume's size and what other clients use are never shown.
 */
async function diskInfo(app: FastifyInstance, clientBytes: number): Promise<DiskInfo> {
  const path = resolve(app.config.STORAGE_BACKEND === 'disk' ? app.config.STORAGE_DIR : '/tmp');
  try {
    await mkdir(path, { recursive: true });
    const s = await statfs(path);
    const free = s.bavail * s.bsize;
    return {
      available: true,
      free_gb: round2(free / GB),
      total_gb: round2((clientBytes + free) / GB),
      used_gb: round2(clientBytes / GB),
      path: app.config.STORAGE_BACKEND,
    };
  } catch {
    return { available: false, free_gb: 0, total_gb: 0, used_gb: 0, path: app.config.STORAGE_BACKEND };
  }
}

/** `GET /api/storage/status`, `POST /api/storage/cleanup` — scoped to the key's client. */
const storage: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/storage/status',
    { schema: { tags: ['storage'], response: { 200: StorageStatusReply, ...ErrorReplies } } },
    async (req) => {
      const t = tenantOf(req);
      const [stats, daily] = await Promise.all([
        app.svc.repo.artifactStats(t.clientId),
        app.svc.repo.dailyCounters(t.clientId, 1),
      ]);
      const disk = await diskInfo(app, stats.totalBytes);
      const low = disk.available && (disk.free_gb < 1 || disk.free_gb / Math.max(disk.total_gb, 0.001) < 0.05);
      return {
        status: low ? 'low_space' : 'healthy',
        disk_info: disk,
        temp_files: { tracked: stats.count, existing: stats.count, total_size_mb: round2(stats.totalBytes / 1048576) },
        artifacts: { count: stats.count, total_bytes: stats.totalBytes },
        daily,
      };
    },
  );

  app.post(
    '/api/storage/cleanup',
    {
      schema: {
        tags: ['storage'],
        body: CleanupBody,
        response: { 200: CleanupReply, 202: JobAccepted, ...ErrorReplies },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      const body = req.body ?? {};
      const type = body.type ?? 'old';
      let result = { cleaned: 0, failed: 0, total: 0, bytes_freed: 0 };
      let jobId: string | undefined;
      if (type !== 'monitor') {
        const out = await runJob(app, req, JobName.StorageCleanup, {
          clientId: t.clientId,
          mode: type === 'all' ? 'all' : 'old',
          maxAgeHours: body.max_age_hours ?? 24,
        });
        if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
        if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
        const r = out.result;
        result = { cleaned: r.cleaned, failed: r.failed, total: r.total, bytes_freed: r.bytesFreed };
        jobId = out.jobId;
      } else {
        const s = await app.svc.repo.artifactStats(t.clientId);
        result.total = s.count;
      }
      return {
        success: true,
        cleanup_type: type,
        cleanup_result: result,
        disk_info_after: await diskInfo(app, (await app.svc.repo.artifactStats(t.clientId)).totalBytes),
        daily: await app.svc.repo.dailyCounters(t.clientId, 1),
        ...(jobId ? { job_id: jobId } : {}),
      };
    },
  );
};

export default storage;
