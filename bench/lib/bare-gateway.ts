/**
 * The gateway benchmark's reference: a bare Fastify server (run as its own process, like the gateway)
 * doing the same parsing as Vigint's routes and nothing else — no auth, rate limit, metrics, schemas,
 * Redis blobs or queue. `/api/health` does the same two pings (Redis PING, PostgreSQL SELECT 1).
 * Env: PORT, REDIS_URL, DATABASE_URL.
 */
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeBase64(value: string): Buffer {
  let s = value.trim();
  const comma = s.startsWith('data:') ? s.indexOf(',') : -1;
  if (comma >= 0) s = s.slice(comma + 1);
  s = s.replace(/\s+/g, '');
  if (s.length === 0 || !B64_RE.test(s) || s.length % 4 === 1) throw new Error('not base64');
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

const app = Fastify({ logger: false, bodyLimit: 40 * 1024 * 1024 });
await app.register(multipart, { limits: { fileSize: 40 * 1024 * 1024, files: 300, fields: 30 } });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 5 });

app.get('/api/health', async () => {
  const [r, p] = await Promise.all([
    redis.ping().then(
      () => 'ok',
      () => 'error',
    ),
    pool.query('SELECT 1').then(
      () => 'ok',
      () => 'error',
    ),
  ]);
  return {
    status: 'healthy',
    timestamp: Math.floor(Date.now() / 1000),
    services: { api: 'ok', redis: r, postgres: p },
  };
});

let n = 0;
app.post('/api/video/analyze', async (req, reply) => {
  const frames: Buffer[] = [];
  if (req.isMultipart()) {
    for await (const part of req.parts()) {
      if (part.type === 'file') frames.push(await part.toBuffer());
    }
  } else {
    const body = (req.body ?? {}) as { frame?: string; frames?: string[] };
    if (body.frame) frames.push(decodeBase64(body.frame));
    for (const f of body.frames ?? []) frames.push(decodeBase64(f));
  }
  if (frames.length === 0) return reply.code(400).send({ error: 'no frame', code: 'VALIDATION_FAILED' });
  return reply.code(202).send({ job_id: `bare-${++n}`, status: 'queued', bytes: frames[0]!.length });
});

process.on('SIGTERM', () => {
  void app.close().then(async () => {
    redis.disconnect();
    await pool.end();
    process.exit(0);
  });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('bare gateway listening');
