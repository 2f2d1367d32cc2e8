import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';
import { frameLimitBytes } from '../config';
import { bodyTooLarge, routeBodyLimit } from '../plugins/app/body-limit';

export interface MultipartFile {
  field: string;
  filename: string;
  /** Small files (frames) in memory. */
  data?: Buffer;
  /** Large files (videos) streamed to a temp file, never held whole in memory. */
  open?: () => Readable;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: MultipartFile[];
  /** Removes temp files; always call (finally). */
  cleanup(): Promise<void>;
}

export const isMultipart = (req: FastifyRequest): boolean => req.isMultipart();

/**
 * Reads a multipart request part by part: file fields named in `streamFields` go to temp files, the others
 * (frames) into memory. @fastify/multipart does not apply `bodyLimit`, so every byte is counted here as it
 * arrives: past the route's body limit (BODY_LIMIT_MB, or the route's own) or, for an in-memory part,
 * past FRAME_MAX_MB, the read stops at once with 413 — memory and temp files never hold more than that.
 */
export async function readMultipart(req: FastifyRequest, streamFields: string[] = []): Promise<MultipartBody> {
  const fields: Record<string, string> = {};
  const files: MultipartFile[] = [];
  const total = routeBodyLimit(req);
  const partMax = frameLimitBytes(req.server.config);
  let seen = 0;
  const count = (n: number): void => {
    seen += n;
    if (seen > total) throw bodyTooLarge(total);
  };
  let dir: string | undefined;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  try {
    for await (const part of req.parts({ limits: { fileSize: total } })) {
      count(Buffer.byteLength(part.fieldname));
      if (part.type === 'file') {
        if (streamFields.includes(part.fieldname)) {
          dir ??= await mkdtemp(join(tmpdir(), 'vigint-mp-'));
          const path = join(dir, `f${files.length}`);
          // Async iteration, not stream.pipeline: on a truncated body busboy destroys the part's stream
          // without an error, which ends the iteration but leaves a pipeline waiting forever.
          const fh = await open(path, 'w');
          try {
            for await (const chunk of part.file) {
              count((chunk as Buffer).length);
              await fh.write(chunk as Buffer);
            }
          } finally {
            await fh.close();
          }
          if (part.file.truncated) throw bodyTooLarge(total);
          files.push({ field: part.fieldname, filename: part.filename, open: () => createReadStream(path) });
        } else {
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of part.file) {
            const c = chunk as Buffer;
            count(c.length);
            size += c.length;
            if (size > partMax) throw bodyTooLarge(partMax, part.fieldname);
            chunks.push(c);
          }
          if (part.file.truncated) throw bodyTooLarge(total);
          files.push({ field: part.fieldname, filename: part.filename, data: Buffer.concat(chunks) });
        }
      } else {
        const value = String(part.value);
        count(Buffer.byteLength(value));
        fields[part.fieldname] = value;
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if ((err instanceof AppError && err.code === ErrorCode.PayloadTooLarge) || code === 'FST_REQ_FILE_TOO_LARGE') {
      // Nothing more is kept. The 413 goes out at once (temp files are removed meanwhile) and closes the
      // connection (error-handler.ts); until the caller sees it, up to one more body limit is read and
      // discarded, then reading stops: unread bytes at close make the kernel reset the connection, which
      // can drop the 413 before the caller reads it (a lingering close, bounded).
      req.raw.unpipe();
      let discarded = 0;
      req.raw.on('data', (c: Buffer) => {
        discarded += c.length;
        if (discarded > total) req.raw.pause();
      });
      req.raw.resume();
      cleanup().catch(() => undefined);
      throw err instanceof AppError ? err : bodyTooLarge(total);
    }
    await cleanup();
    if (
      code === 'FST_REQ_FILE_TOO_LARGE' ||
      code === 'FST_FILES_LIMIT' ||
      code === 'FST_PARTS_LIMIT' ||
      code === 'FST_FIELDS_LIMIT'
    ) {
      throw new AppError(ErrorCode.PayloadTooLarge, 'multipart body is too large');
    }
    if (err instanceof AppError) throw err;
    // busboy's parse errors (bad boundary, truncated part, malformed header): the caller's body is wrong.
    throw new AppError(ErrorCode.BadRequest, 'malformed multipart/form-data body', { cause: err });
  }
  return { fields, files, cleanup };
}

/** A numeric multipart field (`null`/empty → undefined); anything else is 400 naming it. */
export function numberField(fields: Record<string, string>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v === '' || v === 'null') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new AppError(ErrorCode.ValidationFailed, `${name} must be a number`, { field: name });
  return n;
}
