import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { AppError, ErrorCode } from '@vigint/contracts';
import {
  artifactNotFound,
  assertArtifactKey,
  isArtifactKey,
  resolveRange,
  type ArtifactStat,
  type ArtifactStore,
  type ByteRange,
  type PutResult,
} from './artifact-store';
import { fixedChunks, toReadable } from './hashing-stream';

export interface S3StoreConfig {
  /** Any S3-compatible endpoint (AWS, MinIO, R2, s3rver…); AWS's own when absent. */
  endpoint?: string;
  bucket: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every key, e.g. `vigint/`. */
  prefix?: string;
  /** Multipart part size (≥ 5 MiB; default 8 MiB). Objects up to one part are a single PUT. */
  partSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissing(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

function mapS3Error(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { name?: string; code?: string };
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN'].includes(e.code ?? '') ||
    e.name === 'TimeoutError' ||
    (statusOf(err) ?? 0) >= 500
  ) {
    return new AppError(ErrorCode.DependencyUnavailable, 'object storage unavailable', { cause: err });
  }
  if (e.name === 'EntityTooLarge' || e.name === 'QuotaExceeded') {
    return new AppError(ErrorCode.StorageFull, 'object storage refused the size', { cause: err });
  }
  return err;
}

/** S3-compatible object storage (path-style addressing, so any endpoint works). */
export class S3ArtifactStore implements ArtifactStore {
  readonly backend = 's3' as const;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(config: S3StoreConfig) {
    this.s3 = new S3Client({
      endpoint: config.endpoint,
      region: config.region ?? 'us-east-1',
      forcePathStyle: true,
      // Checksums only when an operation requires them: several S3-compatible servers reject the newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials:
        config.accessKeyId && config.secretAccessKey
          ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
          : undefined,
    });
    this.bucket = config.bucket;
    this.prefix = config.prefix ?? '';
    this.partSize = Math.max(MIN_PART, config.partSize ?? 8 * 1024 * 1024);
  }

  private objectKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  async put(key: string, data: Buffer | Readable): Promise<PutResult> {
    assertArtifactKey(key);
    const Key = this.objectKey(key);
    const hash = createHash('sha256');
    let bytes = 0;
    const parts = fixedChunks(toReadable(data), this.partSize)[Symbol.asyncIterator]();
    const next = async () => {
      const r = await parts.next();
      if (!r.done) {
        hash.update(r.value);
        bytes += r.value.length;
      }
      return r;
    };
    try {
      const first = await next();
      const second = first.done ? first : await next();
      if (second.done) {
        // One part or less: a single PUT (S3 stores it whole or not at all).
        await this.s3.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: first.done ? Buffer.alloc(0) : first.value }),
        );
        return { bytes, sha256: hash.digest('hex') };
      }
      const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
      const done: CompletedPart[] = [];
      try {
        let partNumber = 1;
        let part: IteratorResult<Buffer> = first;
        while (!part.done) {
          const { ETag } = await this.s3.send(
            new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: partNumber, Body: part.value }),
          );
          done.push({ ETag, PartNumber: partNumber });
          partNumber += 1;
          part = partNumber === 2 ? second : await next();
        }
        // The object appears only here: an interrupted upload never shows a partial artifact.
        await this.s3.send(
          new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: done } }),
        );
      } catch (err) {
        await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
        throw err;
      }
      return { bytes, sha256: hash.digest('hex') };
    } catch (err) {
      throw mapS3Error(err);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (!isArtifactKey(key)) throw artifactNotFound();
    let Range: string | undefined;
    if (range && (range.start !== undefined || range.end !== undefined)) {
      const info = await this.stat(key);
      if (!info) throw artifactNotFound();
      const r = resolveRange(range, info.bytes);
      if (r) Range = `bytes=${r.start}-${r.end}`;
    }
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range }));
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw artifactNotFound();
      throw mapS3Error(err);
    }
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    if (!isArtifactKey(key)) return null;
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { bytes: out.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw mapS3Error(err);
    }
  }

  async delete(key: string): Promise<boolean> {
    if (!(await this.stat(key))) return false;
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      throw mapS3Error(err);
    }
  }

  async close(): Promise<void> {
    this.s3.destroy();
  }
}
