import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AnalyzeBody,
  AnalyzeReply,
  AppError,
  ErrorBody,
  ErrorCode,
  JobAccepted,
  JobName,
  MultiSourceAnalyzeBody,
  MultiSourceAnalyzeReply,
  type AnalysisResult,
} from '@vigint/contracts';
import { DEFAULT_SOURCE } from '@vigint/queue';
import { tenantOf } from '../../plugins/app/auth';
import { runJob, sendAccepted } from '../../services/job-runner';
import { jsonBody, jsonBodyOf } from '../../services/json-or-multipart';
import { decodeBase64 } from '../../services/media-intake';
import { storeFrames } from '../../services/media-store';
import { readMultipart } from '../../services/multipart-body';
import { analyzeReply, languageOf } from '../../services/replies';
import { addUsage, analysisUsage } from '../../plugins/app/usage';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  502: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};

/** Frames per analysis taken from the buffer: the short buffer (~3 s) for screening, the long one (~10 s). */
const FROM_BUFFER = { short: 6, long: 24 } as const;

/** `POST /api/video/analyze` (frame in the body, or `frame: null`/`{}`: what the client last sent) and multi-source. */
const analyze: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/api/video/analyze',
    {
      schema: {
        tags: ['video'],
        body: jsonBody(AnalyzeBody),
        response: { 200: AnalyzeReply, 202: JobAccepted, ...errors },
      },
    },
    async (req, reply) => {
      const t = tenantOf(req);
      let body: AnalyzeBody = {};
      const given: { data: Buffer; field: string }[] = [];
      if (req.isMultipart()) {
        const mp = await readMultipart(req);
        await mp.cleanup();
        mp.files
          .filter((f) => f.field === 'frame' || f.field === 'frames')
          .forEach((f, i) => given.push({ data: f.data!, field: f.field === 'frame' ? 'frame' : `frames.${i}` }));
        body = {
          buffer_type: (mp.fields.buffer_type as 'short' | 'long' | undefined) ?? null,
          language: (mp.fields.language as AnalyzeBody['language']) ?? null,
          camera_name: mp.fields.camera_name ?? null,
        };
      } else {
        body = jsonBodyOf(req, AnalyzeBody);
        if (body.frame) given.push({ data: decodeBase64(body.frame, 'frame'), field: 'frame' });
        (body.frames ?? []).forEach((f, i) =>
          given.push({ data: decodeBase64(f, `frames.${i}`), field: `frames.${i}` }),
        );
      }
      const bufferType = body.buffer_type ?? 'short';
      if (bufferType !== 'short' && bufferType !== 'long') {
        throw new AppError(ErrorCode.ValidationFailed, 'buffer_type must be short or long', { field: 'buffer_type' });
      }

      let frameBlobKeys: string[] = [];
      let videoArtifactId: string | undefined;
      if (given.length > 0) {
        frameBlobKeys = await storeFrames(app, given);
        // Frames sent to analyze also feed the buffer, so a later alert with use_server_buffer finds them.
        await app.svc.state.pushFrames(t.clientId, DEFAULT_SOURCE, frameBlobKeys);
        if (bufferType === 'long')
          frameBlobKeys = await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, FROM_BUFFER.long);
      } else {
        const [src, upload] = await Promise.all([
          app.svc.state.getSource(t.clientId, DEFAULT_SOURCE),
          app.svc.state.getLastUpload(t.clientId),
        ]);
        const bufferNewer = src && src.bufferSize > 0 && (!upload || (src.updatedAt ?? '') > upload.uploadedAt);
        if (bufferNewer)
          frameBlobKeys = await app.svc.state.getFrames(t.clientId, DEFAULT_SOURCE, FROM_BUFFER[bufferType]);
        else if (upload) {
          videoArtifactId = upload.artifactId;
          frameBlobKeys = (upload.frameBlobKeys ?? []).slice(-FROM_BUFFER[bufferType]);
        } else
          throw new AppError(
            ErrorCode.NothingBuffered,
            'nothing to analyze: send frame, or buffer frames or upload a video first',
            { field: 'frame' },
          );
      }

      const out = await runJob(app, req, JobName.FrameAnalyze, {
        clientId: t.clientId,
        apiKeyId: t.apiKeyId,
        bufferType,
        frameBlobKeys,
        ...(videoArtifactId ? { videoArtifactId } : {}),
        language: languageOf(t, body.language),
        ...(body.camera_name ? { cameraName: body.camera_name } : {}),
      });
      if (out.kind === 'accepted') return sendAccepted(reply, out.jobId);
      if (out.kind === 'pending') return sendAccepted(reply, out.jobId, 'running');
      return analyzeReply(app, req, t, out.result, out.jobId);
    },
  );

  app.post(
    '/api/video/multi-source/analyze',
    {
      schema: {
        tags: ['multi-source'],
        body: MultiSourceAnalyzeBody,
        response: { 200: MultiSourceAnalyzeReply, ...errors },
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
      // One job per source, all enqueued first so they run in parallel on the workers.
      const runs = await Promise.all(
        wanted.map(async (s) => {
          const keys = await app.svc.state.getFrames(t.clientId, s.sourceId, FROM_BUFFER[bufferType]);
          const job = await app.svc.queue.enqueue(JobName.FrameAnalyze, {
            clientId: t.clientId,
            apiKeyId: t.apiKeyId,
            bufferType,
            frameBlobKeys: keys,
            sourceId: s.sourceId,
            language: languageOf(t, body.language),
            ...(s.sourceName ? { cameraName: s.sourceName } : {}),
          });
          return { source: s, jobId: job.id };
        }),
      );
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

export default analyze;
