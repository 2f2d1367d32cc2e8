import { cpus } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { loadConfig } from '@vigint/config';
import { resolveModels } from '@vigint/alerting';
import { QueueName } from '@vigint/contracts';

const Concurrency = (def: number) => Type.Integer({ minimum: 1, maximum: 64, default: def });

/** ffmpeg is CPU bound: half the cores, at least one (issue 5, worker operations). */
export const DEFAULT_MEDIA_CONCURRENCY = Math.max(1, Math.floor(cpus().length / 2));

export const WorkerConfigSchema = Type.Object({
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  /** Prefix of every BullMQ queue and blob key; the gateway must use the same one. */
  QUEUE_PREFIX: Type.String({ default: 'vigint', pattern: '^[A-Za-z0-9_-]+$' }),
  DATABASE_URL: Type.String({ default: 'postgresql://root@127.0.0.1:5432/vigint' }),
  STORAGE_BACKEND: Type.Union([Type.Literal('disk'), Type.Literal('postgres'), Type.Literal('s3')], {
    default: 'disk',
  }),
  STORAGE_DIR: Type.String({ default: './data/artifacts' }),
  S3_BUCKET: Type.Optional(Type.String()),
  S3_ENDPOINT: Type.Optional(Type.String()),
  S3_REGION: Type.Optional(Type.String()),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String()),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String()),
  S3_FORCE_PATH_STYLE: Type.Optional(Type.Boolean()),
  /** Absent: the offline analyzer (motion and change heuristics). */
  GOOGLE_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  GEMINI_BASE_URL: Type.Optional(Type.String()),
  /** Sets both stages when the specific ones are unset. */
  GEMINI_MODEL: Type.Optional(Type.String()),
  GEMINI_MODEL_SHORT: Type.Optional(Type.String()),
  GEMINI_MODEL_LONG: Type.Optional(Type.String()),
  GEMINI_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** Requests per AI call for 429/5xx/timeouts before the fallback model (first one included). */
  GEMINI_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  /** Tried when a stage's model is overloaded, rate limited or out of daily quota. */
  GEMINI_MODEL_FALLBACK: Type.Optional(Type.String({ minLength: 1 })),
  /** Thinking of the confirming call: `low` (a small budget) or `none`. */
  GEMINI_CONFIRM_THINKING: Type.Union([Type.Literal('low'), Type.Literal('none')], { default: 'low' }),
  /** `gemini` (default) or `openai`: any OpenAI-compatible Chat Completions server (OpenAI, Ollama, vLLM...). */
  AI_PROVIDER: Type.Union([Type.Literal('gemini'), Type.Literal('openai')], { default: 'gemini' }),
  /** OpenAI-compatible server up to /v1, e.g. http://127.0.0.1:11434/v1 (Ollama). */
  AI_BASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Bearer key of that server; local servers usually need none. */
  AI_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  AI_MODEL_SHORT: Type.Optional(Type.String({ minLength: 1 })),
  AI_MODEL_LONG: Type.Optional(Type.String({ minLength: 1 })),
  AI_MODEL_FALLBACK: Type.Optional(Type.String({ minLength: 1 })),
  /** Timeout of one OpenAI-compatible call (local models on a CPU are slow). */
  AI_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  AI_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
  /** Check each configured model with models.get at start (a retired model stops the worker). */
  AI_CHECK_MODELS: Type.Boolean({ default: true }),
  /** Default AI spend caps per client (USD per UTC day / month); the admin API sets a client's own. */
  AI_BUDGET_DAILY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  AI_BUDGET_MONTHLY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  /** Per-model prices overriding the built-in table: `{"model": {"input": USD/1M, "output": USD/1M}}`. */
  AI_PRICES_JSON: Type.Optional(Type.String()),
  /** A job's video (≤ this many bytes) goes inline to the confirming model instead of frames; 0 = frames only. */
  GEMINI_INLINE_VIDEO_MAX_BYTES: Type.Integer({ minimum: 0, default: 0 }),
  EMAIL_SMTP_SERVER: Type.Optional(Type.String()),
  EMAIL_SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  EMAIL_SMTP_SECURE: Type.Optional(Type.Boolean()),
  EMAIL_USERNAME: Type.Optional(Type.String()),
  EMAIL_PASSWORD: Type.Optional(Type.String()),
  EMAIL_FROM: Type.String({ default: 'Vigint <alerts@vigint.local>' }),
  /** Recipient when the client has no e-mail of its own. */
  EMAIL_TO: Type.Optional(Type.String()),
  EMAIL_OUTBOX_DIR: Type.String({ default: './data/outbox' }),
  /** Largest e-mail attachment the server takes; the clip is attached only when it fits (base64 4/3). */
  EMAIL_MAX_ATTACHMENT_MB: Type.Number({ exclusiveMinimum: 0, default: 20 }),
  /** Telegram Bot API base URL of the first notices (a self-hosted Bot API server); absent: Telegram's. */
  TELEGRAM_API_BASE: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
  ALERT_COOLDOWN_SECONDS: Type.Integer({ minimum: 0, default: 60 }),
  /** How long a claim on an alert holds without its sender's heartbeat: a crashed send is taken over after this. */
  ALERT_CLAIM_LEASE_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** Signs the private video links (HMAC); the gateway verifies them with the same key. */
  SECRET_KEY: Type.String({ minLength: 8 }),
  /** HMAC secret of the links when it differs from SECRET_KEY; must equal the gateway's VIDEO_LINK_SECRET. */
  VIDEO_LINK_SECRET: Type.Optional(Type.String({ minLength: 8 })),
  PUBLIC_BASE_URL: Type.String({ default: 'http://localhost:5000' }),
  VIDEO_LINK_TTL_HOURS: Type.Number({ exclusiveMinimum: 0, default: 48 }),
  /** Produced videos expire this long after creation; the scheduled cleanup removes them. */
  RETENTION_HOURS: Type.Number({ exclusiveMinimum: 0, default: 72 }),
  CLEANUP_INTERVAL_MINUTES: Type.Number({ exclusiveMinimum: 0, default: 15 }),
  ANALYSIS_CONCURRENCY: Concurrency(4),
  MEDIA_CONCURRENCY: Concurrency(DEFAULT_MEDIA_CONCURRENCY),
  /** Finished jobs kept per client and queue (within their retention age): a neighbour's flood evicts only its own. */
  RESULTS_PER_CLIENT: Type.Integer({ minimum: 1, default: 1000 }),
  ALERT_CONCURRENCY: Concurrency(4),
  /** First notices (short HTTP calls to ntfy, webhooks, Telegram), on their own queue so e-mails never delay them. */
  NOTICE_CONCURRENCY: Concurrency(8),
  MAINTENANCE_CONCURRENCY: Concurrency(1),
  /** A crashed worker's job is picked up again about this long after the crash. */
  JOB_LOCK_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  JOB_STALLED_INTERVAL_MS: Type.Integer({ minimum: 500, default: 30_000 }),
  FFMPEG_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 300_000 }),
  LOG_LEVEL: Type.String({ default: 'info' }),
});
export type WorkerConfig = Static<typeof WorkerConfigSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfig(WorkerConfigSchema, env);
}

/** The models of each stage, resolved in one place (libs/core/alerting, ai-models.ts). */
export function modelsFor(config: WorkerConfig): { short: string; long: string } {
  const { short, long } = resolveModels(config);
  return { short, long };
}

export function concurrencyFor(config: WorkerConfig): Record<QueueName, number> {
  return {
    [QueueName.Analysis]: config.ANALYSIS_CONCURRENCY,
    [QueueName.Media]: config.MEDIA_CONCURRENCY,
    [QueueName.Alert]: config.ALERT_CONCURRENCY,
    [QueueName.Notice]: config.NOTICE_CONCURRENCY,
    [QueueName.Maintenance]: config.MAINTENANCE_CONCURRENCY,
  };
}
