import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AlertLanguage,
  JobName,
  type AnalysisResult,
  type AnalyzeReply,
  type CompressReply,
  type CreateReply,
  type VideoCompressResult,
  type VideoCreateResult,
} from '@vigint/contracts';
import { addUsage, analysisUsage } from '../plugins/app/usage';
import type { TenantRecord } from './gateway.repository';
import { readArtifact } from './media-store';

export const downloadUrl = (artifactId: string): string => `/api/video/download/${artifactId}`;

/**
 * A request's own `language` wins: the agent sends it only for a camera whose config file sets one (a French
 * site of an English-speaking client). Otherwise the client's (POST /admin/clients `language`), else English.
 * The earlier system's clients never send it.
 */
export function languageOf(tenant: TenantRecord, requested?: string | null): AlertLanguage {
  const l = requested || tenant.language;
  return l === AlertLanguage.Fr ? AlertLanguage.Fr : AlertLanguage.En;
}

/** The analyze reply: the analysis with every earlier and seed field name, the client's e-mail, usage counted. */
export function analyzeReply(
  app: FastifyInstance,
  req: FastifyRequest,
  tenant: TenantRecord,
  result: AnalysisResult,
  jobId?: string,
): AnalyzeReply {
  req.usage = addUsage(req.usage, analysisUsage(result, app.aiPrices));
  return {
    ...result,
    client_email: result.client_email ?? tenant.clientEmail ?? '',
    success: true,
    ...(jobId ? { job_id: jobId } : {}),
  };
}

async function findVideo(app: FastifyInstance, tenant: TenantRecord, artifactId: string) {
  const a = await app.svc.repo.findArtifact(artifactId, tenant.clientId);
  if (!a) throw new Error(`artifact ${artifactId} of a completed job is missing`);
  return a;
}

export async function createReply(
  app: FastifyInstance,
  tenant: TenantRecord,
  r: VideoCreateResult,
  jobId?: string,
): Promise<CreateReply> {
  const a = await findVideo(app, tenant, r.artifactId);
  const data = await readArtifact(app, a.storageKey);
  return {
    success: true,
    video_data: data.toString('base64'),
    download_id: r.artifactId,
    download_url: downloadUrl(r.artifactId),
    frames_processed: r.framesProcessed,
    duration: r.durationSeconds,
    duration_seconds: r.durationSeconds,
    resolution: `${r.width}x${r.height}`,
    size_bytes: r.sizeBytes,
    video_format: r.format,
    filename: a.filename ?? `${r.artifactId}.${r.format}`,
    ...(jobId ? { job_id: jobId } : {}),
  };
}

export async function compressReply(
  app: FastifyInstance,
  tenant: TenantRecord,
  r: VideoCompressResult,
  jobId?: string,
): Promise<CompressReply> {
  const a = await findVideo(app, tenant, r.artifactId);
  const data = await readArtifact(app, a.storageKey);
  return {
    success: true,
    video_data: data.toString('base64'),
    original_size: r.originalSize,
    compressed_size: r.compressedSize,
    compression_ratio: r.compressionRatio,
    download_id: r.artifactId,
    download_url: downloadUrl(r.artifactId),
    size_bytes: r.sizeBytes,
    duration_seconds: r.durationSeconds,
    filename: a.filename ?? `${r.artifactId}.${r.format}`,
    ...(jobId ? { job_id: jobId } : {}),
  };
}

/** The route reply of a completed job, for `GET /api/jobs/:id` (same shape as the sync answer). */
export async function jobReply(
  app: FastifyInstance,
  req: FastifyRequest,
  tenant: TenantRecord,
  name: string,
  result: unknown,
  jobId: string,
) {
  switch (name) {
    case JobName.FrameAnalyze:
      return analyzeReply(app, req, tenant, result as AnalysisResult, jobId);
    case JobName.VideoCreate:
      return createReply(app, tenant, result as VideoCreateResult, jobId);
    case JobName.VideoCompress:
      return compressReply(app, tenant, result as VideoCompressResult, jobId);
    default:
      return result;
  }
}
