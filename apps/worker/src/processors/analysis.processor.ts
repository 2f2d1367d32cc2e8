import { JobName, type FrameAnalyzePayload, type FrameAnalyzeResult } from '@vigint/contracts';
import type { AnalysisService } from '@vigint/alerting';
import type { Db } from '@vigint/db';
import type { BlobStore, JobContext, JobHandler } from '@vigint/queue';

export interface AnalysisDeps {
  blobs: Pick<BlobStore, 'getMany'>;
  analysis: Pick<AnalysisService, 'analyze'>;
  db: Pick<Db, 'usage'>;
}

/** Two-stage AI analysis of buffered frames (AnalysisService), with AI usage counted per key and day. */
export class AnalysisProcessor {
  constructor(private readonly deps: AnalysisDeps) {}

  handlers(): { [JobName.FrameAnalyze]: JobHandler<JobName.FrameAnalyze> } {
    return { [JobName.FrameAnalyze]: (data, ctx) => this.analyze(data, ctx) };
  }

  async analyze(data: FrameAnalyzePayload, ctx: JobContext): Promise<FrameAnalyzeResult> {
    const frames = await this.deps.blobs.getMany(data.frameBlobKeys);
    // With bufferType long the service screens the newest frames and confirms on the whole buffer.
    const result = await this.deps.analysis.analyze({
      frames,
      bufferType: data.bufferType,
      language: data.language,
      cameraName: data.cameraName,
    });
    ctx.log.info(
      {
        incident: result.incident,
        riskLevel: result.risk_level,
        veto: result.flash_veto ?? false,
        aiCalls: result.ai_calls.length,
        tokens: result.token_usage.total_tokens,
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
}
