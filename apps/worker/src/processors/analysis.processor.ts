import { JobName, type FrameAnalyzePayload, type FrameAnalyzeResult } from '@vigint/contracts';
import { buffer } from 'node:stream/consumers';
import type { AnalysisService } from '@vigint/alerting';
import type { Db } from '@vigint/db';
import { jobOptionsFor, type BlobStore, type JobContext, type JobHandler } from '@vigint/queue';
import type { ArtifactStore } from '@vigint/storage';

export interface AnalysisDeps {
  blobs: Pick<BlobStore, 'getMany'>;
  analysis: Pick<AnalysisService, 'analyze'>;
  db: Pick<Db, 'usage' | 'artifacts'>;
  store?: Pick<ArtifactStore, 'get'>;
  /** A job's video up to this size is read for the confirming stage (inline video); 0 = never. */
  inlineVideoMaxBytes?: number;
}

/** Two-stage AI analysis of buffered frames (AnalysisService), with AI usage counted per key and day. */
export class AnalysisProcessor {
  constructor(private readonly deps: AnalysisDeps) {}

  handlers(): { [JobName.FrameAnalyze]: JobHandler<JobName.FrameAnalyze> } {
    return { [JobName.FrameAnalyze]: (data, ctx) => this.analyze(data, ctx) };
  }

  async analyze(data: FrameAnalyzePayload, ctx: JobContext): Promise<FrameAnalyzeResult> {
    const frames = await this.deps.blobs.getMany(data.frameBlobKeys);
    // The agent's prepared frames (chosen and encoded as local mode does) go to the model as they are.
    const longFrames = data.confirmBlobKeys ? await this.deps.blobs.getMany(data.confirmBlobKeys) : undefined;
    const longVideo = await this.smallVideo(data);
    // With bufferType long the service screens the newest frames and confirms on the whole buffer.
    // On the job's last attempt a model that still cannot answer gives way to the offline analysis:
    // the incident is answered, never dropped. Permanent AI errors (AI_REJECTED) never get here twice.
    const attempts = jobOptionsFor(JobName.FrameAnalyze, data).attempts ?? 1;
    const result = await this.deps.analysis.analyze({
      frames,
      ...(longFrames ? { longFrames, prepared: true, frameCount: data.frameCount } : {}),
      bufferType: data.bufferType,
      longVideo,
      language: data.language,
      cameraName: data.cameraName,
      clientId: data.clientId,
      lastAttempt: ctx.attempt >= attempts,
    });
    ctx.log.info(
      {
        incident: result.incident,
        riskLevel: result.risk_level,
        veto: result.flash_veto ?? false,
        aiCalls: result.ai_calls.length,
        tokens: result.token_usage.total_tokens,
        thinkingTokens: result.token_usage.thinking_tokens,
        ...(result.ai_fallback
          ? {
              fallback: result.ai_fallback.reason,
              fallbackModel: result.ai_fallback.model,
              aiError: result.ai_fallback.error,
            }
          : {}),
      },
      'analysis done',
    );
    if (data.apiKeyId && result.ai_calls.length > 0) {
      const input = result.ai_calls.reduce((n, c) => n + c.usage.prompt_tokens, 0);
      const output = result.ai_calls.reduce((n, c) => n + c.usage.completion_tokens, 0);
      await this.deps.db.usage.addDaily(data.apiKeyId, 'video/analyze', {
        aiRequests: result.ai_calls.filter((c) => c.stage !== 'offline').length,
        inputTokens: input,
        outputTokens: output,
      });
    }
    return result;
  }

  /** The job's clip in memory, only when small enough to go inline to the model (bounded read). */
  private async smallVideo(data: FrameAnalyzePayload): Promise<{ mimeType: string; data: Buffer } | undefined> {
    const max = this.deps.inlineVideoMaxBytes ?? 0;
    if (!data.videoArtifactId || max <= 0 || !this.deps.store) return undefined;
    const row = await this.deps.db.artifacts.findForClient(data.clientId, data.videoArtifactId);
    if (!row || row.bytes > max) return undefined;
    return { mimeType: row.mime, data: await buffer(await this.deps.store.get(row.storageKey)) };
  }
}
