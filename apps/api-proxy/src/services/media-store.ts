import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { newArtifactKey } from '@vigint/storage';
import { frameLimitBytes } from '../config';
import { bodyTooLarge } from '../plugins/app/body-limit';
import { sampleFramesArgs } from './frame-extract.presets';
import type { ArtifactRecord, TenantRecord } from './gateway.repository';

export interface StoredVideo {
  artifact: ArtifactRecord;
  /** Stills sampled from the video (BlobStore keys, oldest first) when `sampleFrames` was asked. */
  frameBlobKeys: string[];
  durationSeconds: number;
  frameCount: number;
  width: number;
  height: number;
}

/**
 * Checks a caller's video with ffprobe (422 INVALID_VIDEO before anything is queued) and stores it in the
 * artifact store under a generated key; the caller's file name is kept as a display name only.
 */
export async function storeVideo(
  app: FastifyInstance,
  tenant: TenantRecord,
  source: Buffer | Readable,
  options: { filename: string; kind: string; field: string; ttlHours?: number; sampleFrames?: number },
): Promise<StoredVideo> {
  const dir = await mkdtemp(join(tmpdir(), 'vigint-gw-'));
  const file = join(dir, 'input');
  try {
    if (Buffer.isBuffer(source)) await writeFile(file, source);
    else await pipeline(source, createWriteStream(file));
    const info = await app.svc.ffmpeg.probe(file, { countFrames: false }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === ErrorCode.InvalidVideo) {
        throw new AppError(ErrorCode.InvalidVideo, `${options.field} is not a readable video`, {
          field: options.field,
        });
      }
      throw err;
    });
    if (!(info.width > 0) || !(info.durationSeconds >= 0)) {
      throw new AppError(ErrorCode.InvalidVideo, `${options.field} has no video stream`, { field: options.field });
    }
    const ext = options.filename.toLowerCase().endsWith('.webm') ? 'webm' : 'mp4';
    const key = newArtifactKey(options.kind);
    const put = await app.svc.artifacts.put(key, createReadStream(file));
    const ttlHours = options.ttlHours ?? app.config.ARTIFACT_TTL_HOURS;
    const artifact = await app.svc.repo.createArtifact({
      clientId: tenant.clientId,
      kind: options.kind,
      storageKey: key,
      bytes: put.bytes,
      sha256: put.sha256,
      mime: ext === 'webm' ? 'video/webm' : 'video/mp4',
      filename: options.filename,
      expiresAt: new Date(Date.now() + ttlHours * 3_600_000).toISOString(),
    });
    const frameCount = info.frameCount ?? Math.round(info.durationSeconds * (info.fps || 0));
    let frameBlobKeys: string[] = [];
    if (options.sampleFrames) {
      // The analysis models read stills: sample the clip evenly (≤ 5 per second) once, at upload.
      const max = options.sampleFrames;
      const fps = Math.min(5, Math.max(max / Math.max(info.durationSeconds, 0.1), 0.05));
      await app.svc.ffmpeg.run(sampleFramesArgs(file, join(dir, 'still-%03d.jpg'), fps, max), { timeoutMs: 60_000 });
      const stills = (await readdir(dir)).filter((f) => f.startsWith('still-')).sort();
      const bufs = await Promise.all(stills.map((f) => readFile(join(dir, f))));
      frameBlobKeys = bufs.length
        ? await app.svc.blobs.putMany(bufs, app.config.STATE_TTL_SECONDS, tenant.clientId)
        : [];
    }
    return {
      artifact,
      frameBlobKeys,
      durationSeconds: info.durationSeconds,
      frameCount,
      width: info.width,
      height: info.height,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads a whole artifact (for the base64 `video_data` replies the earlier clients expect; ≤ the size cap). */
export async function readArtifact(app: FastifyInstance, storageKey: string): Promise<Buffer> {
  const stream = await app.svc.artifacts.get(storageKey);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Decoded frames → BlobStore keys. Each is at most FRAME_MAX_MB (413 naming the field), and every one is probed (ImageAdapter) before anything is
 * stored or queued: not an image → 422 INVALID_IMAGE naming the field (`frames.3`). They count against the
 * client's frame quota (FRAME_QUOTA_MB / FRAME_QUOTA_COUNT) until trimmed or expired.
 */
export async function storeFrames(
  app: FastifyInstance,
  clientId: string,
  frames: { data: Buffer; field: string }[],
): Promise<string[]> {
  const max = frameLimitBytes(app.config);
  for (const f of frames) if (f.data.length > max) throw bodyTooLarge(max, f.field);
  for (const f of frames) {
    try {
      await app.svc.images.probe(f.data);
    } catch (err) {
      if (err instanceof AppError && err.code !== ErrorCode.InvalidImage) throw err;
      // The adapter's reason (format not accepted, too many pixels, corrupt) stays in the answer.
      const reason = err instanceof AppError ? err.message : 'not an image';
      throw new AppError(ErrorCode.InvalidImage, `${f.field} is not an image: ${reason}`, { field: f.field });
    }
  }
  return app.svc.blobs.putMany(
    frames.map((f) => f.data),
    app.config.STATE_TTL_SECONDS,
    clientId,
  );
}
