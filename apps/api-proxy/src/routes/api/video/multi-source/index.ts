import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  ErrorCode,
  ErrorReplies,
  JobName,
  MultiSourceAnalyzeBody,
  MultiSourceAnalyzeReply,
  MultiSourceBufferBody,
  MultiSourceBufferReply,
  type AnalysisResult,
} from '@vigint/contracts';
import { DEFAULT_SOURCE, jobIdFor } from '@vigint/queue';
import { oneFrameBodyLimit } from '../../../../config';
import { tenantOf } from '../../../../plugins/app/auth';
import { addUsage, analysisUsage } from '../../../../plugins/app/usage';
import { FROM_BUFFER, readOneFrame } from '../../../../services/frame-intake';
import { jsonBody } from '../../../../services/json-or-multipart';
import { chargeJobs } from '../../../../services/job-runner';
import { storeFrames } from '../../../../services/media-store';
import { languageOf } from '../../../../services/replies';

/** Several cameras behind one key: `/api/video/multi-source/buffer` (one buffer per `source_id`) and `/analyze`. */
const multiSource: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/video/multi-source/buffer',
    {
      bodyLimit: oneFrameBodyLimit(app.config),
      schema: {
        tags: ['multi-source'],
        body: jsonBody(MultiSourceBufferBody),
        response: { 200: MultiSourceBufferReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const one = await readOneFrame(req, MultiSourceBufferBody);
      const sourceId = one.sourceId ?? '';
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(sourceId) || sourceId === DEFAULT_SOURCE) {
        throw new AppError(ErrorCode.ValidationFailed, 'source_id must be 1-100 characters of A-Z a-z 0-9 _ . : -', {
          field: 'source_id',
        });
      }
      const known = await app.svc.state.listSources(t.clientId);
      const others = known.filter((s) => s.sourceId !== DEFAULT_SOURCE && s.sourceId !== sourceId);
      if (others.length >= app.config.MAX_SOURCES && !known.some((s) => s.sourceId === sourceId)) {
        throw new AppError(ErrorCode.RateLimited, `source quota exceeded: at most ${app.config.MAX_SOURCES} sources`, {
          field: 'source_id',
        });
      }
      const [key] = await storeFrames(app, t.clientId, [{ data: one.data, field: 'frame_data' }]);
      const size = await app.svc.state.pushFrames(t.clientId, sourceId, [key!], {
        frameCount: one.frameCount,
        sourceName: one.sourceName,
      });
      const src = await app.svc.state.getSource(t.clientId, sourceId);
      return { success: true, source_id: sourceId, buffer_size: size, frame_count: src?.frameCount ?? size };
    },
  );

  app.post(
    '/api/video/multi-source/analyze',
    {
      schema: {
        tags: ['multi-source'],
        body: MultiSourceAnalyzeBody,
        response: { 200: MultiSourceAnalyzeReply, ...ErrorReplies },
      },
    },
    async (req) => {
      const t = tenantOf(req);
      const body = req.body ?? {};
      const all = (await app.svc.state.listSources(t.clientId)).filter(
        (s) => s.sourceId !== DEFAULT_SOURCE && s.bufferSize > 0,
      );
      const wanted = body.source_ids ? all.filter((s) => body.source_ids!.includes(s.sourceId)) : all;
      const bufferType = body.buffer_type ?? 'short';
      const charged = await chargeJobs(app, t.clientId, JobName.FrameAnalyze, wanted.length);
      // One job per source, all enqueued first so they run in parallel on the workers.
      const queued = await Promise.allSettled(
        wanted.map(async (s) => {
          const keys = await app.svc.state.getFrames(t.clientId, s.sourceId, FROM_BUFFER[bufferType]);
          const data = {
            clientId: t.clientId,
            apiKeyId: t.apiKeyId,
            bufferType,
            frameBlobKeys: keys,
            sourceId: s.sourceId,
            language: languageOf(t, body.language),
            ...(s.sourceName ? { cameraName: s.sourceName } : {}),
          };
          // Reserved under the job's id before it is queued: the worker releases them when it finishes.
          const jobId = jobIdFor(JobName.FrameAnalyze, data);
          try {
            await app.svc.blobs.reserve(t.clientId, jobId, keys, app.config.STATE_TTL_SECONDS);
            const job = await app.svc.queue.enqueue(JobName.FrameAnalyze, data, { jobId });
            return { source: s, jobId: job.id };
          } catch (err) {
            await app.svc.blobs.releaseJob(t.clientId, jobId).catch(() => undefined);
            throw err;
          }
        }),
      );
      const notQueued = queued.filter((q) => q.status === 'rejected');
      if (notQueued.length > 0) {
        // The sources whose job was not queued are not charged (those queued run and answer later).
        await charged.refund(notQueued.length);
        throw (notQueued[0] as PromiseRejectedResult).reason;
      }
      const runs = queued.flatMap((q) => (q.status === 'fulfilled' ? [q.value] : []));
      const sources: Record<string, AnalysisResult & { source_name?: string; error?: string }> = {};
      const summary = {
        total_sources: runs.length,
        total_incidents_detected_by_flash_lite: 0,
        total_incidents_confirmed_by_flash: 0,
        total_incidents_vetoed: 0,
        has_any_confirmed_incident: false,
      };
      for (const r of runs) {
        const view = await app.svc.queue.waitFor(r.jobId, app.config.SYNC_WAIT_MS);
        if (view?.state !== 'completed' || !view.result) {
          if (view?.state === 'failed' && view.error) {
            const e = AppError.fromBody(view.error);
            if (e.permanent) throw e;
          }
          continue;
        }
        const res = view.result as AnalysisResult;
        req.usage = addUsage(req.usage, analysisUsage(res, app.aiPrices));
        sources[r.source.sourceId] = { ...res, ...(r.source.sourceName ? { source_name: r.source.sourceName } : {}) };
        const screened = res.ai_calls.some((c) => c.stage === 'screen')
          ? res.flash_confirmation !== undefined || res.has_security_incident
          : res.has_security_incident;
        if (screened) summary.total_incidents_detected_by_flash_lite += 1;
        if (res.flash_veto) summary.total_incidents_vetoed += 1;
        if (res.has_security_incident) summary.total_incidents_confirmed_by_flash += 1;
      }
      summary.has_any_confirmed_incident = summary.total_incidents_confirmed_by_flash > 0;
      return { success: true, sources, summary };
    },
  );
};

export default multiSource;
