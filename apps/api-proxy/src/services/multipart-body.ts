import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';

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

/** Reads a multipart request part by part: file fields named in `streamFields` go to temp files. */
export async function readMultipart(req: FastifyRequest, streamFields: string[] = []): Promise<MultipartBody> {
  const fields: Record<string, string> = {};
  const files: MultipartFile[] = [];
  let dir: string | undefined;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (streamFields.includes(part.fieldname)) {
          dir ??= await mkdtemp(join(tmpdir(), 'vigint-mp-'));
          const path = join(dir, `f${files.length}`);
          // Async iteration, not stream.pipeline: on a truncated body busboy destroys the part's stream
          // without an error, which ends the iteration but leaves a pipeline waiting forever.
          const fh = await open(path, 'w');
          try {
            for await (const chunk of part.file) await fh.write(chunk as Buffer);
          } finally {
            await fh.close();
          }
          if (part.file.truncated) throw new AppError(ErrorCode.PayloadTooLarge, 'multipart file is too large');
          files.push({ field: part.fieldname, filename: part.filename, open: () => createReadStream(path) });
        } else {
          files.push({ field: part.fieldname, filename: part.filename, data: await part.toBuffer() });
        }
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    await cleanup();
    const code = (err as { code?: string }).code;
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
