import {
  AiPricer,
  AlertService,
  AnalysisService,
  BudgetService,
  buildPriceTable,
  MailBudgetNotifier,
  DeliveryPolicy,
  FirstNoticeService,
  noticeSettingsFrom,
  selectAnalysisProvider,
  selfHostedPrices,
} from '@vigint/alerting';
import { ClipService, emailBudgetBytes } from '@vigint/clip';
import { AlertLanguage, JobName, QueueName } from '@vigint/contracts';
import { createDb, type Db } from '@vigint/db';
import { FfmpegAdapter } from '@vigint/ffmpeg';
import { GeminiAdapter } from '@vigint/gemini';
import { ImageAdapter } from '@vigint/image';
import { OpenAiAdapter } from '@vigint/openai';
import type { Logger } from '@vigint/logger';
import { createMailer, type MailTransport } from '@vigint/mailer';
import { NotifyAdapter } from '@vigint/notify';
import {
  BlobStore,
  ClientStateStore,
  JobQueue,
  RedisQuotaGate,
  RedisSpendStore,
  createWorkerRedis,
  createWorkers,
  type JobHandlers,
  type WorkerPool,
} from '@vigint/queue';
import { artifactStoreConfigOf, createArtifactStore, type ArtifactStore } from '@vigint/storage';
import { concurrencyFor, type WorkerConfig } from './config';
import { PgAlertLedger } from './pg-alert-ledger';
import { PgNoticeLedger } from './pg-notice-ledger';
import { AlertProcessor } from './processors/alert.processor';
import { AnalysisProcessor } from './processors/analysis.processor';
import { DigestProcessor } from './processors/digest.processor';
import { MaintenanceProcessor } from './processors/maintenance.processor';
import { MediaProcessor } from './processors/media.processor';
import { NoticeProcessor } from './processors/notice.processor';

export const CLEANUP_SCHEDULER_ID = 'storage-cleanup-expired';
export const DIGEST_SCHEDULER_ID = 'daily-digest';
/** How often the digest run looks for clients whose local hour has come: each digest goes within this of it. */
const DIGEST_INTERVAL_MS = 5 * 60_000;

export interface WorkerApp {
  pool: WorkerPool;
  db: Db;
  store: ArtifactStore;
  /** Stops taking jobs, lets running ones finish, then closes every adapter. */
  close(): Promise<void>;
}

/** Wires config → adapters → services → processors → one BullMQ worker per queue. */
export async function startWorkers(config: WorkerConfig, log: Logger): Promise<WorkerApp> {
  const db = createDb(config.DATABASE_URL, log);
  const store = await createArtifactStore(artifactStoreConfigOf(config));
  // Workers wait for Redis instead of failing fast: a job in hand should finish once Redis is back.
  const blobRedis = createWorkerRedis(config.REDIS_URL);
  blobRedis.on('error', (err: Error) => log.warn({ err: err.message }, 'blob redis connection error'));
  const blobs = new BlobStore(blobRedis, config.QUEUE_PREFIX);
  const queue = new JobQueue({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX, log });

  const image = new ImageAdapter();
  const ffmpeg = new FfmpegAdapter(log);
  const clip = new ClipService(ffmpeg, log, image);
  const ai = selectAnalysisProvider(config, {
    gemini: (c) =>
      new GeminiAdapter({
        apiKey: c.GOOGLE_API_KEY!,
        baseUrl: c.GEMINI_BASE_URL,
        timeoutMs: c.GEMINI_TIMEOUT_MS,
        maxAttempts: c.GEMINI_MAX_ATTEMPTS,
        log,
      }),
    openai: (c) =>
      new OpenAiAdapter({
        baseUrl: c.AI_BASE_URL!,
        apiKey: c.AI_API_KEY,
        timeoutMs: config.AI_TIMEOUT_MS,
        maxAttempts: config.AI_MAX_ATTEMPTS,
        log,
      }),
  });
  const provider = ai.provider;
  if (!provider) log.warn({ reason: ai.offlineReason }, 'no AI provider: the offline analyzer answers analysis jobs');
  const mailer: MailTransport = createMailer(
    {
      EMAIL_SMTP_SERVER: config.EMAIL_SMTP_SERVER,
      EMAIL_SMTP_PORT: config.EMAIL_SMTP_PORT,
      EMAIL_USERNAME: config.EMAIL_USERNAME,
      EMAIL_PASSWORD: config.EMAIL_PASSWORD,
      EMAIL_SMTP_SECURE: config.EMAIL_SMTP_SECURE,
      EMAIL_OUTBOX_DIR: config.EMAIL_OUTBOX_DIR,
    },
    log,
  );
  // The client's AI spend: caps in PostgreSQL, counters in Redis shared with every worker and gateway.
  const budget = new BudgetService({
    store: new RedisSpendStore(blobRedis, config.QUEUE_PREFIX),
    limits: db.aiBudget,
    usage: db.aiBudget,
    defaults: { dailyUsd: config.AI_BUDGET_DAILY_USD, monthlyUsd: config.AI_BUDGET_MONTHLY_USD },
    notifier: new MailBudgetNotifier({
      mailer,
      from: config.EMAIL_FROM,
      recipient: async (clientId) => {
        const c = await db.clients.findById(clientId);
        const email = c?.email ?? config.EMAIL_TO;
        return email ? { email, language: c?.language === 'fr' ? AlertLanguage.Fr : AlertLanguage.En } : undefined;
      },
      log,
    }),
    log,
  });
  const analysis = new AnalysisService({
    provider,
    image,
    models: ai.models,
    fallbackModel: ai.fallbackModel,
    pricer: new AiPricer(buildPriceTable(config.AI_PRICES_JSON, selfHostedPrices(config)), log),
    budget,
    // A daily quota used up seen by one worker stops every worker calling that model until the reset.
    quota: new RedisQuotaGate(blobRedis, config.QUEUE_PREFIX),
    confirmThinking: config.GEMINI_CONFIRM_THINKING,
    log,
    // Inline video is a Gemini feature; Chat Completions take frames only.
    inlineVideoMaxBytes: config.AI_PROVIDER === 'gemini' ? config.GEMINI_INLINE_VIDEO_MAX_BYTES : 0,
  });
  // A retired or unknown model is a start-up error naming the variable, not a stream of failed jobs.
  if (config.AI_CHECK_MODELS) await analysis.checkModels(ai.sources);
  const clipBudgetBytes = emailBudgetBytes(config.EMAIL_MAX_ATTACHMENT_MB * 1024 * 1024);
  const alerts = new AlertService({
    mailer,
    ledger: new PgAlertLedger(db),
    image,
    from: config.EMAIL_FROM,
    log,
    cooldownMs: config.ALERT_COOLDOWN_SECONDS * 1000,
    maxClipBytes: clipBudgetBytes,
    claimLeaseMs: config.ALERT_CLAIM_LEASE_MS,
  });
  // Distributed mode compresses an over-budget clip like local mode does, then falls back to the link.
  const policy = new DeliveryPolicy({
    alerts,
    clipBudgetBytes,
    compressor: clip,
    incidents: db.incidents,
    cameras: db.cameras,
    links: {
      secret: config.VIDEO_LINK_SECRET ?? config.SECRET_KEY,
      baseUrl: config.PUBLIC_BASE_URL,
      ttlHours: config.VIDEO_LINK_TTL_HOURS,
    },
    log,
  });

  // The first notice: the client's push channels, its camera's snooze and threshold, the console's signed links.
  const firstNotice = new FirstNoticeService({
    notify: new NotifyAdapter({ log }),
    ledger: (clientId) => new PgNoticeLedger(db, clientId, new Date(Date.now() + config.RETENTION_HOURS * 3600_000)),
    settings: noticeSettingsFrom(db.cameras, (clientId) => db.consoleSettings.get(clientId)),
    deliveryLog: db.incidents,
    linkSecret: config.VIDEO_LINK_SECRET ?? config.SECRET_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ...(config.TELEGRAM_API_BASE ? { telegramApiBase: config.TELEGRAM_API_BASE } : {}),
    log,
  });

  const handlers: JobHandlers = {
    ...new AnalysisProcessor({
      blobs,
      analysis,
      db,
      store,
      inlineVideoMaxBytes: config.AI_PROVIDER === 'gemini' ? config.GEMINI_INLINE_VIDEO_MAX_BYTES : 0,
    }).handlers(),
    ...new MediaProcessor({ blobs, store, db, clip, retentionHours: config.RETENTION_HOURS }).handlers(),
    ...new AlertProcessor({ policy, blobs, store, db, fallbackTo: config.EMAIL_TO }).handlers(),
    ...new NoticeProcessor({ firstNotice, blobs, db }).handlers(),
    ...new DigestProcessor({
      db,
      store,
      mailer,
      from: config.EMAIL_FROM,
      fallbackTo: config.EMAIL_TO,
      publicBaseUrl: config.PUBLIC_BASE_URL,
    }).handlers(),
    ...new MaintenanceProcessor({
      db,
      store,
      // Only erasure is done here: TTL and buffer length are the gateway's business.
      clientState: new ClientStateStore({
        redis: blobRedis,
        prefix: config.QUEUE_PREFIX,
        ttlSeconds: 3600,
        maxFrames: 64,
        blobs,
      }),
      jobs: queue,
    }).handlers(),
  };

  const pool = createWorkers({
    redisUrl: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    log,
    handlers,
    concurrency: concurrencyFor(config),
    lockDurationMs: config.JOB_LOCK_MS,
    stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
    resultsPerClient: config.RESULTS_PER_CLIENT,
  });
  await pool.waitUntilReady();
  // Retention: one repeatable job however many workers start (a job scheduler is upserted by id).
  await queue.upsertJobScheduler(
    CLEANUP_SCHEDULER_ID,
    JobName.StorageCleanup,
    { clientId: null, mode: 'expired' },
    config.CLEANUP_INTERVAL_MINUTES * 60_000,
  );
  await queue.upsertJobScheduler(DIGEST_SCHEDULER_ID, JobName.DigestRun, {}, DIGEST_INTERVAL_MS);
  log.info(
    {
      queues: pool.queues,
      concurrency: concurrencyFor(config),
      ai: provider ? `${provider.name} ${ai.models.short} → ${ai.models.long}` : 'offline',
      mail: mailer.kind,
    },
    'worker ready',
  );

  let closing: Promise<void> | undefined;
  return {
    pool,
    db,
    store,
    close() {
      closing ??= (async () => {
        await pool.close();
        await Promise.allSettled([queue.close(), mailer.close(), store.close(), db.close()]);
        blobRedis.disconnect();
      })();
      return closing;
    },
  };
}

export const ALL_QUEUES = Object.values(QueueName);
