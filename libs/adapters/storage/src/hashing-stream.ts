import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Pass-through that counts and hashes the bytes flowing to a store. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export function toReadable(data: Buffer | Readable): Readable {
  return Buffer.isBuffer(data) ? Readable.from([data]) : data;
}

/**
 * Re-chunks a stream into pieces of exactly `size` bytes (the last one shorter), for backends that store
 * fixed-size parts (PostgreSQL chunks, S3 multipart parts). Holds at most one piece in memory.
 */
export async function* fixedChunks(source: AsyncIterable<Buffer | Uint8Array | string>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const raw of source) {
    let buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    while (buf.length > 0) {
      const take = Math.min(size - length, buf.length);
      parts.push(buf.subarray(0, take));
      length += take;
      buf = buf.subarray(take);
      if (length === size) {
        yield Buffer.concat(parts, length);
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}
