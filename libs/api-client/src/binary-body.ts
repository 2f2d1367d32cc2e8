import { openAsBlob } from 'node:fs';

/** Bytes a caller hands the client: a Buffer/Uint8Array in memory, or a Blob (e.g. a file opened with `fileBlob`). */
export type BinaryInput = Uint8Array | Blob;

/**
 * A file as a Blob that reads from disk on demand: a retried or replayed upload re-reads the file instead of
 * holding a clip in memory between attempts.
 */
export function fileBlob(path: string, type = 'application/octet-stream'): Promise<Blob> {
  return openAsBlob(path, { type });
}

export function toBlob(data: BinaryInput, type: string): Blob {
  if (data instanceof Blob) return data.type ? data : new Blob([data], { type });
  // Blob copies the view; the copy is what makes the same body sendable on every retry.
  return new Blob([data as Uint8Array<ArrayBuffer>], { type });
}

export async function toBase64(data: BinaryInput): Promise<string> {
  if (data instanceof Blob) return Buffer.from(await data.arrayBuffer()).toString('base64');
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

export function byteLength(data: BinaryInput): number {
  return data instanceof Blob ? data.size : data.byteLength;
}

/** Scalar fields as multipart text parts; null/undefined are left out (the gateway's defaults apply). */
export function appendFields(form: FormData, fields: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    form.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
}
