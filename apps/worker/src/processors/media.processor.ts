import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  AppError,
  ErrorCode,
  JobName,
  VideoFormat,
  type VideoCompressPayload,
  type VideoCompressResult,
  type VideoCreatePayload,
  type VideoCreateResult,
} from '@vigint/contracts';
import type { ClipService } from '@vigint/clip';
import type { Db } from '@vigint/db';
import type { BlobStore, JobContext, JobHandler } from '@vigint/queue';
import type { ArtifactStore } from '@vigint/storage';

export interface MediaDeps {
  blobs: Pick<BlobStore, 'get'>;
  store: Pick<ArtifactStore, 'put' | 'get'>;
  db: Pick<Db, 'artifacts' | 'usage'>;
  clip: Pick<ClipService, 'framesToVideo' | 'compressToSize'>;
  retentionHours: number;
}

const MIME: Record<VideoFormat, string> = { [VideoFormat.Mp4]: 'video/mp4', [VideoFormat.Webm]: 'video/webm' };

/**
 * The artifact id of a job's output, derived from the job id: a job rerun after a crash (stalled-job
 * recovery) writes the same key and finds the same row, so it never produces a second video.
 */
export function artifactIdForJob(jobId: string): string {
  const h = createHash('sha256').update(`artifact:${jobId}`).digest('hex');
  // RFC 4122 layout with version 5 / variant bits, so it is a valid uuid column value.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** frames → video and compress to a size (ClipService), with the output in the artifact store. */
export class MediaProcessor {
  constructor(private readonly deps: MediaDeps) {}

  handlers(): {
    [JobName.VideoCreate]: JobHandler<JobName.VideoCreate>;
    [JobName.VideoCompress]: JobHandler<JobName.VideoCompress>;
  } {
    return {
      [JobName.VideoCreate]: (data, ctx) => this.create(data, ctx),
      [JobName.VideoCompress]: (data, ctx) => this.compress(data, ctx),
    };
  }

  async create(data: VideoCreatePayload, ctx: JobContext): Promise<VideoCreateResult> {
    return this.withTempDir(async (dir) => {
      const outFile = join(dir, `out.${data.format}`);
      const blobs = this.deps.blobs;
      // Frames stream from Redis one at a time into ffmpeg's stdin: never all of them in memory.
      async function* frames(): AsyncGenerator<Buffer> {
        for (const key of data.frameBlobKeys) yield await blobs.get(key);
      }
      const info = await this.deps.clip.framesToVideo(frames(), { fps: data.fps, format: data.format, outFile });
      const stored = await this.storeOutput(ctx, data, outFile, data.format, 'video');
      await this.countUsage(data.apiKeyId, 'video/create', stored.bytes);
      return {
        ...stored.result,
        durationSeconds: info.durationSeconds,
        width: info.width,
        height: info.height,
        framesProcessed: info.framesProcessed,
      };
    });
  }

  async compress(data: VideoCompressPayload, ctx: JobContext): Promise<VideoCompressResult> {
    const source = await this.deps.db.artifacts.findForClient(data.clientId, data.videoArtifactId);
    if (!source) throw new AppError(ErrorCode.NotFound, 'video not found', { field: 'videoArtifactId' });
    return this.withTempDir(async (dir) => {
      const inFile = join(dir, 'in.bin');
      await pipeline(await this.deps.store.get(source.storageKey), createWriteStream(inFile));
      // The compressed output is always MP4 (H.264), whatever came in.
      const outFile = join(dir, 'out.mp4');
      const r = await this.deps.clip.compressToSize(inFile, outFile, {
        maxSizeBytes: data.maxSizeBytes,
        qualityReduction: data.qualityReduction,
      });
      const stored = await this.storeOutput(ctx, data, outFile, VideoFormat.Mp4, 'compressed');
      await this.countUsage(data.apiKeyId, 'video/compress', stored.bytes);
      return {
        ...stored.result,
        durationSeconds: r.durationSeconds,
        width: r.width,
        height: r.height,
        originalSize: r.originalSize,
        compressedSize: r.compressedSize,
        compressionRatio: r.originalSize > 0 ? r.compressedSize / r.originalSize : 1,
      };
    });
  }

  private async storeOutput(
    ctx: JobContext,
    data: { clientId: string; outputName: string },
    file: string,
    format: VideoFormat,
    kind: string,
  ): Promise<{
    bytes: number;
    result: { artifactId: string; sizeBytes: number; format: VideoFormat; expiresAt: string };
  }> {
    const id = artifactIdForJob(ctx.jobId);
    // Generated keys only (no '/' or '.'): the store refuses anything else.
    const storageKey = `${kind}-${id}`;
    const { bytes, sha256 } = await this.deps.store.put(storageKey, createReadStream(file));
    let row = await this.deps.db.artifacts.findById(id);
    if (!row) {
      const expiresAt = new Date(Date.now() + this.deps.retentionHours * 3_600_000);
      row = await this.deps.db.artifacts
        .create({
          id,
          clientId: data.clientId,
          kind,
          storageKey,
          bytes,
          sha256,
          mime: MIME[format],
          filename: data.outputName || null,
          expiresAt,
        })
        // Two runs of one job racing (a stall while still alive): the other one's row is the same video.
        .catch(async (err: unknown) => {
          const other = await this.deps.db.artifacts.findById(id);
          if (!other) throw err;
          return other;
        });
    } else {
      ctx.log.warn({ artifactId: id }, 'artifact row already there: rerun of an interrupted job');
    }
    return {
      bytes,
      result: { artifactId: id, sizeBytes: bytes, format, expiresAt: (row.expiresAt ?? new Date()).toISOString() },
    };
  }

  private async countUsage(apiKeyId: string | null, endpoint: string, bytesOut: number): Promise<void> {
    if (apiKeyId) await this.deps.db.usage.addDaily(apiKeyId, endpoint, { bytesOut });
  }

  /** Every temp file goes, whatever happens (issue 5: temp files removed). */
  private async withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'vigint-media-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
