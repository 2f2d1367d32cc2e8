import { Type, type Static } from '@sinclair/typebox';
import { buildPriceTable, type PriceTable } from '@vigint/alerting';
import { ConfigError, loadConfig, Port } from '@vigint/config';

export { DEFAULT_AI_PRICES } from '@vigint/alerting';

export const GatewayConfigSchema = Type.Object({
  PORT: Port(5000),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.String({ default: 'postgresql://root@127.0.0.1:5432/vigint' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  /** Prefix of every BullMQ queue and state key (tests use a unique one). */
  QUEUE_PREFIX: Type.String({ default: 'vigint' }),
  /*
   * Secrets: lengths and distinctness are checked by checkSecrets() (not by the schema, whose errors quote
   * the value given).
   */
  /** `X-Admin-Key` of `/admin/*` (>= 32 bytes); unset: the admin routes answer 403. Never a client key. */
  ADMIN_KEY: Type.Optional(Type.String()),
  /** The earlier installs' shared key, accepted as the API key of its own built-in client (>= 16 bytes). */
  SECRET_KEY: Type.Optional(Type.String()),
  /**
   * HMAC secret of private video links (`/video/:id?token=`, >= 32 bytes, unlike the other two); required
   * in production; elsewhere SECRET_KEY when unset. Worker and gateway must agree.
   */
  VIDEO_LINK_SECRET: Type.Optional(Type.String()),
  /** `production` makes VIDEO_LINK_SECRET required. */
  NODE_ENV: Type.Optional(Type.String()),
  STORAGE_BACKEND: Type.Union([Type.Literal('disk'), Type.Literal('postgres'), Type.Literal('s3')], {
    default: 'disk',
  }),
  STORAGE_DIR: Type.String({ default: './data/artifacts' }),
  /**
   * Total body limit of every request, whatever its content type (JSON, multipart, anything else), checked
   * against Content-Length and counted while streaming; 40 MB fits a 20 MB video as base64 (4/3) with room.
   */
  BODY_LIMIT_MB: Type.Number({ exclusiveMinimum: 0, default: 40 }),
  /**
   * Jobs each client may enqueue per minute and job type (analyze, alert, create...), across instances: the
   * refill of a token bucket of JOB_BURST jobs, so past a burst a client gets one job every 60/JOBS_PER_MINUTE s.
   */
  JOBS_PER_MINUTE: Type.Integer({ minimum: 1, default: 120 }),
  /**
   * Jobs of one type a client may enqueue at once before JOBS_PER_MINUTE paces it (a multi-source analysis
   * of more sources than this is admitted when the client's bucket is full).
   */
  JOB_BURST: Type.Integer({ minimum: 1, default: 60 }),
  /**
   * Alerts (and camera notices) each client may send per hour, across instances: they all leave through
   * the one SMTP account, so one client cannot spend its sending reputation for everyone.
   */
  ALERTS_PER_HOUR: Type.Integer({ minimum: 1, default: 60 }),
  /** Buffers (`source_id`s) each client may keep for multi-source analysis. */
  MAX_SOURCES: Type.Integer({ minimum: 1, default: 16 }),
  /** Cameras each client may have on record (from heartbeats); a beat for one more is refused with 429. */
  MAX_CAMERAS: Type.Integer({ minimum: 1, default: 256 }),
  /**
   * Frames one client may keep in Redis at once (buffered, or waiting for their job; until trimmed or
   * STATE_TTL_SECONDS): past it 429, so one tenant cannot fill the Redis every queue runs on.
   */
  FRAME_QUOTA_MB: Type.Number({ exclusiveMinimum: 0, default: 256 }),
  FRAME_QUOTA_COUNT: Type.Integer({ minimum: 1, default: 4000 }),
  /** Largest single frame (a JPEG/PNG/WebP image, decoded from base64 or one multipart part). */
  FRAME_MAX_MB: Type.Number({ exclusiveMinimum: 0, default: 4 }),
  SYNC_WAIT_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  /** Requests per window per key (or per IP without a key). */
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** Refused API/admin keys allowed per IP per AUTH_FAIL_WINDOW_MS; past it the IP gets 429 until the window ends. */
  AUTH_FAIL_MAX: Type.Integer({ minimum: 1, default: 20 }),
  AUTH_FAIL_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /**
   * How long an accepted API key is remembered in-process (0: never). Another instance accepts a revoked key
   * for up to this long (SECURITY.md §1).
   */
  API_KEY_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 5_000 }),
  /**
   * Which `X-Forwarded-For` hops to believe for the client address (logs, audit, per-IP limits). Default
   * `false`: without a proxy, a forged header must not choose the address the throttle counts. `true`
   * (every hop: the left-most entry, which a caller can forge), `false` (the socket peer), or the proxies'
   * addresses, CIDRs or proxy-addr names (`loopback`, `uniquelocal`), comma-separated. (A hop count is
   * not offered: Fastify 5 treats one as "trust nothing".)
   */
  TRUST_PROXY: Type.String({ default: 'false', pattern: '^(true|false|[0-9a-zA-Z.:/, ]+)$' }),
  S3_BUCKET: Type.Optional(Type.String()),
  S3_ENDPOINT: Type.Optional(Type.String()),
  S3_REGION: Type.Optional(Type.String()),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String()),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String()),
  /** Base URL of the links put in e-mails and replies (private video page, downloads). */
  PUBLIC_BASE_URL: Type.Optional(Type.String()),
  /** Client state (buffers, last upload) and transient frames live this long in Redis. */
  STATE_TTL_SECONDS: Type.Integer({ minimum: 10, default: 3600 }),
  FRAME_BUFFER_MAX: Type.Integer({ minimum: 1, default: 64 }),
  ARTIFACT_TTL_HOURS: Type.Number({ exclusiveMinimum: 0, default: 72 }),
  VIDEO_LINK_TTL_HOURS: Type.Number({ exclusiveMinimum: 0, default: 48 }),
  EMAIL_TO: Type.Optional(Type.String()),
  /** The console's sign-in links by e-mail (the alerts are the worker's): SMTP, else `.eml` files. */
  EMAIL_SMTP_SERVER: Type.Optional(Type.String()),
  EMAIL_SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  EMAIL_SMTP_SECURE: Type.Optional(Type.Boolean()),
  EMAIL_USERNAME: Type.Optional(Type.String()),
  EMAIL_PASSWORD: Type.Optional(Type.String()),
  EMAIL_FROM: Type.String({ default: 'Vigint <alerts@vigint.local>' }),
  EMAIL_OUTBOX_DIR: Type.String({ default: './data/outbox' }),
  /** Lifetime of a console session (sign-in at /console), minutes. */
  CONSOLE_SESSION_TTL_MINUTES: Type.Integer({ minimum: 5, maximum: 7 * 24 * 60, default: 480 }),
  /** Secure flag of the console cookies: `auto` sets it when the request came over HTTPS. */
  CONSOLE_SECURE_COOKIES: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
  }),
  AI_PRICES_JSON: Type.Optional(Type.String()),
  /** Default AI spend caps per client (USD per UTC day / month); a client's own budget overrides them. */
  AI_BUDGET_DAILY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  AI_BUDGET_MONTHLY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  LOG_LEVEL: Type.String({ default: 'info' }),
});
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

export const MB = 1024 * 1024;
export const bodyLimitBytes = (c: GatewayConfig): number => Math.floor(c.BODY_LIMIT_MB * MB);
export const frameLimitBytes = (c: GatewayConfig): number =>
  Math.min(Math.floor(c.FRAME_MAX_MB * MB), bodyLimitBytes(c));
/** Body limit of the one-frame routes: one frame as base64 (4/3) plus the JSON fields around it. */
export const oneFrameBodyLimit = (c: GatewayConfig): number =>
  Math.min(bodyLimitBytes(c), Math.ceil((frameLimitBytes(c) * 4) / 3) + 64 * 1024);

export const ADMIN_KEY_MIN_BYTES = 32;
export const SECRET_KEY_MIN_BYTES = 16;
export const LINK_SECRET_MIN_BYTES = 32;

/** Every problem with the secrets, naming the variable and never quoting its value. */
export function secretProblems(c: GatewayConfig): string[] {
  const problems: string[] = [];
  const bytes = (v: string) => Buffer.byteLength(v, 'utf8');
  const tooShort = (name: string, v: string | undefined, min: number) => {
    if (v !== undefined && bytes(v) < min) problems.push(`${name}: must be at least ${min} bytes (it has ${bytes(v)})`);
  };
  tooShort('ADMIN_KEY', c.ADMIN_KEY, ADMIN_KEY_MIN_BYTES);
  tooShort('SECRET_KEY', c.SECRET_KEY, SECRET_KEY_MIN_BYTES);
  tooShort('VIDEO_LINK_SECRET', c.VIDEO_LINK_SECRET, LINK_SECRET_MIN_BYTES);
  if (c.ADMIN_KEY !== undefined && c.ADMIN_KEY === c.SECRET_KEY)
    problems.push('ADMIN_KEY: must differ from SECRET_KEY (SECRET_KEY sits on edge sites as a client key)');
  for (const other of ['ADMIN_KEY', 'SECRET_KEY'] as const) {
    if (c.VIDEO_LINK_SECRET !== undefined && c.VIDEO_LINK_SECRET === c[other])
      problems.push(`VIDEO_LINK_SECRET: must differ from ${other}`);
  }
  if (c.NODE_ENV === 'production' && c.VIDEO_LINK_SECRET === undefined)
    problems.push('VIDEO_LINK_SECRET: required in production (private video links are signed with it)');
  if (c.VIDEO_LINK_SECRET === undefined && c.SECRET_KEY === undefined)
    problems.push('VIDEO_LINK_SECRET: not set (nor SECRET_KEY): private video links cannot be signed');
  return problems;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(GatewayConfigSchema, env);
  const problems = secretProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The per-model price table (libs/core/alerting, ai-prices.ts), overridden by AI_PRICES_JSON. */
export function aiPrices(config: GatewayConfig): PriceTable {
  return buildPriceTable(config.AI_PRICES_JSON);
}

/** TRUST_PROXY as Fastify's `trustProxy` option. */
export function trustProxySetting(value: string): boolean | string {
  const v = value.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}
