import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import health from './api/health';
import ready from './api/ready';
import metrics from './metrics';
import rtsp from './api/rtsp';
import billing from './api/billing';
import privateVideo from './video';
import buffer from './api/video/buffer';
import multiSource from './api/video/multi-source';
import upload from './api/video/upload';
import analyze from './api/video/analyze';
import alert from './api/video/alert';
import compress from './api/video/compress';
import create from './api/video/create';
import download from './api/video/download';
import videos from './api/v1/videos';
import storage from './api/storage';
import usage from './api/usage';
import jobs from './api/jobs';
import adminClients from './admin/clients';
import incidents from './api/incidents';
import cameras from './api/cameras';
import consoleRoutes from './console';

/**
 * The route tree. Folders mirror URLs (`routes/api/video/alert/index.ts` serves `/api/video/alert…`);
 * a new route goes in the folder of its URL and into one list below, which decides how it is guarded:
 * - `OPEN`: no key, no limit (liveness, readiness, metrics);
 * - `PUBLIC`: no key, rate-limited per IP (private link pages, 501 stubs);
 * - `CLIENT`: `authenticate` (API key → tenant), then rate-limited per client;
 * - `ADMIN`: `authenticateAdmin` (`X-Admin-Key`), then rate-limited per IP.
 * Route plugins never add authentication hooks of their own.
 */
const OPEN: FastifyPluginAsync[] = [health, ready, metrics];
// The console signs its visitors in itself (session cookie), so it sits with the per-IP-limited pages.
const PUBLIC: FastifyPluginAsync[] = [privateVideo, rtsp, billing, consoleRoutes];
const CLIENT: FastifyPluginAsync[] = [
  buffer,
  multiSource,
  upload,
  analyze,
  alert,
  compress,
  create,
  download,
  videos,
  storage,
  usage,
  jobs,
  incidents,
  cameras,
];
const ADMIN: FastifyPluginAsync[] = [adminClients];

async function scope(
  app: FastifyInstance,
  hooks: ((req: never, reply: never) => Promise<void>)[],
  routes: FastifyPluginAsync[],
): Promise<void> {
  await app.register(async (child) => {
    for (const hook of hooks) child.addHook('onRequest', hook as never);
    for (const r of routes) await child.register(r);
  });
}

export default async function routes(app: FastifyInstance): Promise<void> {
  await scope(app, [], OPEN);
  await scope(app, [app.rateLimit], PUBLIC);
  await scope(app, [app.authenticate, app.rateLimit], CLIENT);
  await scope(app, [app.authenticateAdmin, app.rateLimit], ADMIN);
}
