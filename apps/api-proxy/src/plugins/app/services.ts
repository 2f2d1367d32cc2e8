import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import {
  BlobStore,
  ClientStateStore,
  JobQueue,
  LimitStore,
  RedisSpendStore,
  SessionStore,
  blobQuota,
} from '@vigint/queue';
import { BudgetService } from '@vigint/alerting';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { ImageAdapter } from '@vigint/image';
import { artifactStoreConfigOf, createArtifactStore } from '@vigint/storage';
import type { Logger } from '@vigint/logger';
import type { GatewayConfig } from '../../config';
import { GatewayRepository } from '../../services/gateway.repository';
import type { GatewayServices } from '../../services/gateway-services';

declare module 'fastify' {
  interface FastifyInstance {
    config: GatewayConfig;
    svc: GatewayServices;
  }
}

export interface ServicesPluginOptions {
  config: GatewayConfig;
  /** Parts built by the caller (tests); the rest is created here and closed on shutdown. */
  overrides?: Partial<GatewayServices>;
}

/** Builds the gateway's connections (PostgreSQL, Redis/BullMQ, artifact store) and closes them on shutdown. */
async function services(app: FastifyInstance, opts: ServicesPluginOptions): Promise<void> {
  const { config } = opts;
  const o = opts.overrides ?? {};
  const log = app.log.child({ module: 'services' }) as unknown as Logger;
  const repo = o.repo ?? new GatewayRepository(config.DATABASE_URL, log);
  const queue = o.queue ?? new JobQueue({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, log });
  const redis = queue.connection;
  const blobs =
    o.blobs ?? new BlobStore(redis, config.QUEUE_PREFIX, blobQuota(config.FRAME_QUOTA_MB, config.FRAME_QUOTA_COUNT));
  const svc: GatewayServices = {
    config,
    repo,
    queue,
    limits: o.limits ?? new LimitStore(redis, config.QUEUE_PREFIX),
    sessions: o.sessions ?? new SessionStore(redis, config.QUEUE_PREFIX),
    blobs,
    state:
      o.state ??
      new ClientStateStore({
        redis,
        prefix: config.QUEUE_PREFIX,
        ttlSeconds: config.STATE_TTL_SECONDS,
        maxFrames: config.FRAME_BUFFER_MAX,
        blobs,
      }),
    artifacts: o.artifacts ?? (await createArtifactStore(artifactStoreConfigOf(config))),
    images: o.images ?? new ImageAdapter({}),
    ffmpeg: o.ffmpeg ?? new FfmpegAdapter(log),
    budget:
      o.budget ??
      new BudgetService({
        store: new RedisSpendStore(redis, config.QUEUE_PREFIX),
        limits: repo.db.aiBudget,
        defaults: { dailyUsd: config.AI_BUDGET_DAILY_USD, monthlyUsd: config.AI_BUDGET_MONTHLY_USD },
        log,
      }),
  };
  // Producers fail fast while Redis is not connected: give the first connection a moment (not fatal:
  // the gateway starts without Redis and answers 503 until it is back).
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3_000);
      redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  app.decorate('config', config);
  app.decorate('svc', svc);
  app.addHook('onClose', async () => {
    if (!o.queue) await queue.close().catch(() => undefined);
    if (!o.repo) await repo.close().catch(() => undefined);
    if (!o.artifacts) await svc.artifacts.close().catch(() => undefined);
  });
}

export default fp(services, { name: 'services' });
