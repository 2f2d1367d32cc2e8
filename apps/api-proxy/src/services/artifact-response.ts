import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactRecord } from './gateway.repository';
import { contentDisposition } from './media-intake';

/** Parses a single `bytes=a-b` range; null when absent, 'invalid' when unsatisfiable. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

/** Streams an artifact with Range support (video players seek with it), never loading it whole. */
export async function sendArtifact(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  a: ArtifactRecord,
  disposition: 'inline' | 'attachment',
): Promise<FastifyReply> {
  const size = a.bytes;
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', a.mime)
    .header('content-disposition', contentDisposition(disposition, a.filename ?? `${a.id}.mp4`))
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff');
  const range = parseRange(req.headers.range, size);
  if (range === 'invalid') {
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  req.bytesOut = range ? range.end - range.start + 1 : size;
  if (!range)
    return reply
      .code(200)
      .header('content-length', size)
      .send(await app.svc.artifacts.get(a.storageKey));
  const part = await app.svc.artifacts.get(a.storageKey, range);
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', range.end - range.start + 1)
    .send(part);
}
