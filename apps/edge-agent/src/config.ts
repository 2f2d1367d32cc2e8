import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { parse as parseIni } from 'ini';
import { parse as parseYaml } from 'yaml';
import {
  AlertLanguage,
  DEFAULT_ALERT_THRESHOLD,
  MotionSettings,
  NoticeChannels,
  parseRiskLevel,
  RecordSettings,
  RiskLevel,
  type Polygon,
} from '@vigint/contracts';
import { ConfigError, loadConfig, UrlString } from '@vigint/config';
import { resolveModels, type AiProviderConfig } from '@vigint/alerting';
import type { CliOptions } from './cli';
import { UserError } from './user-error';

export type RtspTransportSetting = 'tcp' | 'udp' | 'auto';

/** One camera, every setting resolved (defaults ← file defaults ← camera entry ← CLI flags). */
export interface CameraConfig {
  id: string;
  name: string;
  source: string;
  kind: 'file' | 'rtsp';
  loop: boolean;
  rtspTransport: RtspTransportSetting;
  analysisEnabled: boolean;
  alertEnabled: boolean;
  motion: MotionSettings;
  record: RecordSettings;
  threshold: RiskLevel;
  detectFps: number;
  /** Seconds between frames sampled for the AI while there is motion. */
  sampleInterval: number;
  /** Seconds a calm verdict's scene memory carries over to the next motion run (0: every run starts afresh). */
  sceneMemorySeconds: number;
  cooldownSeconds: number;
  language: AlertLanguage;
  /**
   * True when the config file gives the language (the camera's entry or `defaults`): through a gateway it then
   * wins over the client's stored language; otherwise the client's applies.
   */
  languageSet: boolean;
}

export interface AgentConfig {
  cameras: CameraConfig[];
  fast: boolean;
  outbox: string;
  /** Distributed mode when set. */
  apiServerUrl?: string;
  apiKey?: string;
  googleApiKey?: string;
  /** Screening (short buffer) and confirming (long buffer) models: GEMINI_MODEL_SHORT / _LONG, else GEMINI_MODEL. */
  geminiModels: { short: string; long: string };
  geminiBaseUrl?: string;
  /** The AI settings as named in the environment, for the provider registry (libs/core/alerting). */
  ai: AiProviderConfig & {
    AI_PRICES_JSON?: string;
    AI_BUDGET_DAILY_USD?: number;
    AI_BUDGET_MONTHLY_USD?: number;
    GEMINI_CONFIRM_THINKING?: 'low' | 'none';
  };
  email: {
    smtpServer?: string;
    smtpPort: number;
    username?: string;
    password?: string;
    from: string;
    to?: string;
  };
  /** Seconds of frames in the screening call / the confirming call (config.ini [VideoAnalysis]). */
  shortBufferSeconds: number;
  longBufferSeconds: number;
  /** Restart a camera that gives no frame for this long. */
  watchdogSeconds: number;
  /** Raise "camera offline" after this long without frames. */
  offlineAlertSeconds: number;
  segmentSeconds: number;
  /** Unset: `warn` on a terminal, `info` otherwise. */
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
  outboxDrainSeconds: number;
  /** Distributed mode: failover to local AI + SMTP after the gateway has been unreachable this long. */
  failoverAfterSeconds: number;
  /** Where the alert e-mail claims to come from, and the secret for signed video links (seed `secret_key`). */
  secretKey?: string;
  /** Local mode: the first notice's channels (the file's `notify` key); absent: e-mail only. */
  notify?: { channels: NoticeChannels; timeZone?: string; telegramApiBase?: string };
}

/** Environment variables read by the agent; they override the files. */
export const AgentEnv = Type.Object({
  API_SERVER_URL: Type.Optional(UrlString()),
  VIGINT_API_KEY: Type.Optional(Type.String()),
  API_KEY: Type.Optional(Type.String()),
  SECRET_KEY: Type.Optional(Type.String()),
  GOOGLE_API_KEY: Type.Optional(Type.String()),
  GEMINI_MODEL: Type.Optional(Type.String()),
  GEMINI_MODEL_SHORT: Type.Optional(Type.String()),
  GEMINI_MODEL_LONG: Type.Optional(Type.String()),
  GEMINI_BASE_URL: Type.Optional(UrlString()),
  GEMINI_MODEL_FALLBACK: Type.Optional(Type.String()),
  AI_PROVIDER: Type.Optional(Type.Union([Type.Literal('gemini'), Type.Literal('openai')])),
  AI_BASE_URL: Type.Optional(UrlString()),
  AI_API_KEY: Type.Optional(Type.String()),
  AI_MODEL_SHORT: Type.Optional(Type.String()),
  AI_MODEL_LONG: Type.Optional(Type.String()),
  AI_MODEL_FALLBACK: Type.Optional(Type.String()),
  AI_PRICES_JSON: Type.Optional(Type.String()),
  AI_BUDGET_DAILY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  AI_BUDGET_MONTHLY_USD: Type.Optional(Type.Number({ minimum: 0 })),
  GEMINI_CONFIRM_THINKING: Type.Optional(Type.Union([Type.Literal('low'), Type.Literal('none')])),
  EMAIL_SMTP_SERVER: Type.Optional(Type.String()),
  EMAIL_SMTP_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  EMAIL_USERNAME: Type.Optional(Type.String()),
  EMAIL_PASSWORD: Type.Optional(Type.String()),
  EMAIL_FROM: Type.String({ default: 'vigint@localhost' }),
  EMAIL_TO: Type.Optional(Type.String()),
  /** Default: `warn` on a terminal (the status line shows the rest), `info` otherwise. */
  LOG_LEVEL: Type.Optional(Type.String()),
  /** `json` or `pretty`; default: readable on a terminal, JSON when the output is a pipe or a file. */
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  /** Distributed mode: gateway unreachable this long → incidents analysed and mailed by the agent (own AI key + SMTP). */
  FAILOVER_AFTER_SECONDS: Type.Number({ minimum: 0, maximum: 86_400, default: 30 }),
  /** Distributed mode: how long the agent waits at exit for its outbox to reach the gateway (the rest replays at next start). */
  OUTBOX_DRAIN_SECONDS: Type.Number({ minimum: 0, maximum: 3600, default: 10 }),
});

const RiskSetting = Type.String({ description: 'NONE, LOW, MEDIUM, HIGH or CRITICAL' });
const IdSetting = Type.String({
  pattern: '^[A-Za-z0-9_.-]{1,64}$',
  description: "letters, digits, '.', '_' or '-' (at most 64)",
});

const cameraProps = {
  id: Type.Optional(IdSetting),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
  rtsp_url: Type.Optional(Type.String()),
  video_input: Type.Optional(Type.String()),
  loop: Type.Optional(Type.Boolean()),
  rtsp_transport: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('auto')])),
  enabled: Type.Optional(Type.Boolean()),
  analysis_enabled: Type.Optional(Type.Boolean()),
  alert_enabled: Type.Optional(Type.Boolean()),
  motion: Type.Optional(Type.Partial(MotionSettings)),
  record: Type.Optional(Type.Partial(RecordSettings)),
  threshold: Type.Optional(RiskSetting),
  detect_fps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 30 })),
  sample_interval: Type.Optional(Type.Number({ minimum: 0.2, maximum: 600 })),
  scene_memory: Type.Optional(Type.Number({ minimum: 0, maximum: 600 })),
  cooldown: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  language: Type.Optional(Type.Enum(AlertLanguage)),
};
const CameraEntry = Type.Object(cameraProps, { additionalProperties: false });
/** multi_source_config.json entries may carry fields of the earlier system that the agent does not use. */
const VideoSourceEntry = Type.Object(cameraProps, { additionalProperties: true });
type CameraEntry = Static<typeof CameraEntry>;

/** The agent's own config file (YAML or JSON). */
export const AgentFile = Type.Object(
  {
    defaults: Type.Optional(Type.Omit(CameraEntry, ['id', 'name', 'rtsp_url', 'video_input'])),
    cameras: Type.Optional(Type.Array(CameraEntry)),
    /** The earlier system's multi_source_config.json key. */
    video_sources: Type.Optional(Type.Array(VideoSourceEntry)),
    api_server_url: Type.Optional(Type.String()),
    short_buffer_duration: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120 })),
    long_buffer_duration: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300 })),
    watchdog_seconds: Type.Optional(Type.Number({ minimum: 1, maximum: 600 })),
    offline_alert_seconds: Type.Optional(Type.Number({ minimum: 1, maximum: 86_400 })),
    segment_seconds: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })),
    /** Local mode's first-notice channels, as the console's settings store them (docs/agent-config.md). */
    notify: Type.Optional(
      Type.Composite(
        [
          NoticeChannels,
          Type.Object({
            time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            telegram_api_base: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
          }),
        ],
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: true },
);
type AgentFile = Static<typeof AgentFile>;

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** `/cameras/0/language` → `cameras[0].language`, the way the key reads in the file. */
function keyPath(path: string, prefix = ''): string {
  const parts = path.split('/').filter(Boolean);
  const key = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return prefix && key ? `${prefix}.${key}` : prefix || key || '(top level)';
}

function closest(word: string, candidates: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return d[b.length]!;
  };
  const best = candidates.map((c) => ({ c, d: dist(word, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

/**
 * One schema error as a person reads it: the key as written in the file, what it got and what it takes
 * (the allowed values of a choice, the range of a number, the known keys next to an unknown one).
 */
export function explainSchemaError(e: ValueError, prefix = ''): string {
  const schema = e.schema as Record<string, unknown>;
  const got = JSON.stringify(e.value);
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    const parentPath = e.path.split('/').slice(0, -1).join('/');
    const unknown = e.path.split('/').at(-1) ?? '';
    const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
    const guess = closest(unknown, known);
    return (
      `${keyPath(e.path, prefix)}: unknown key` +
      (guess ? ` (did you mean "${guess}"?)` : '') +
      (known.length ? `; keys allowed in ${keyPath(parentPath, prefix)}: ${known.join(', ')}` : '')
    );
  }
  const choices = (schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((s) => s.const);
  if (choices && choices.every((c) => c !== undefined)) {
    return `${keyPath(e.path, prefix)}: ${got} is not allowed; use ${choices.map(String).join(' or ')}`;
  }
  if (typeof schema.description === 'string') {
    return `${keyPath(e.path, prefix)}: ${got} is not allowed; use ${schema.description}`;
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    const what = schema.type === 'integer' ? 'a whole number' : 'a number';
    const lo = schema.minimum ?? schema.exclusiveMinimum;
    const hi = schema.maximum ?? schema.exclusiveMaximum;
    const range =
      lo !== undefined && hi !== undefined
        ? ` from ${String(lo)}${schema.exclusiveMinimum !== undefined ? ' (exclusive)' : ''} to ${String(hi)}`
        : '';
    return `${keyPath(e.path, prefix)}: must be ${what}${range} (got ${got})`;
  }
  if (schema.type === 'boolean') return `${keyPath(e.path, prefix)}: must be true or false (got ${got})`;
  if (schema.type === 'array') return `${keyPath(e.path, prefix)}: must be a list (got ${got})`;
  if (schema.type === 'object') return `${keyPath(e.path, prefix)}: must be a mapping of keys (got ${got})`;
  return `${keyPath(e.path, prefix)}: ${e.message.replace(/^Expected/, 'must be')} (got ${got})`;
}

function validateFile(value: unknown, file: string): AgentFile {
  if (Value.Check(AgentFile, value)) return value;
  const first = Value.Errors(AgentFile, value).First()!;
  throw new UserError(`invalid config ${file}: ${explainSchemaError(first)} (see docs/agent-config.md)`);
}

/** Reads a YAML/JSON agent file, a multi_source_config.json or a config.ini into the agent file shape. */
export function readConfigFile(file: string): AgentFile {
  const text = readText(file, 'config file');
  if (/\.ini$/i.test(file)) return iniToAgentFile(text, file);
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UserError(
      `invalid config ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`invalid config ${file}: expected a mapping with "cameras" (or "video_sources")`);
  }
  return validateFile(parsed, file);
}

/** The earlier system's config.ini: `[API] api_server_url, secret_key`, `[VideoAnalysis] *_buffer_duration`. */
export function iniToAgentFile(text: string, file: string): AgentFile & { secret_key?: string } {
  const ini = parseIni(text) as Record<string, Record<string, string> | undefined>;
  const num = (section: string, key: string): number | undefined => {
    const raw = ini[section]?.[key];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0)
      throw new UserError(`invalid config ${file}: [${section}] ${key} must be a positive number (got "${raw}")`);
    return n;
  };
  const out: AgentFile & { secret_key?: string } = {};
  const api = ini.API;
  if (api?.api_server_url) out.api_server_url = api.api_server_url;
  if (api?.secret_key) out.secret_key = api.secret_key;
  const s = num('VideoAnalysis', 'short_buffer_duration');
  const l = num('VideoAnalysis', 'long_buffer_duration');
  if (s !== undefined) out.short_buffer_duration = s;
  if (l !== undefined) out.long_buffer_duration = l;
  return out;
}

function checkUrl(url: string, what: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`invalid ${what}: "${url}" is not a URL`);
  }
  if (what.startsWith('RTSP') && u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') {
    throw new UserError(`invalid ${what}: "${url}" must start with rtsp://`);
  }
  if (what.startsWith('API') && u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UserError(`invalid ${what}: "${url}" must start with http:// or https://`);
  }
  return url;
}

/**
 * Relative paths are the user's: `npm start` / `nx serve` run the agent inside apps/edge-agent (and nested npm
 * resets INIT_CWD there), while the user typed the path from the workspace root, where Nx is run.
 */
export function userPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.NX_TASK_TARGET_PROJECT && env.NX_WORKSPACE_ROOT ? env.NX_WORKSPACE_ROOT : process.cwd();
  return resolve(base, p);
}

function checkReadableVideo(file: string): string {
  const abs = userPath(file);
  try {
    accessSync(abs, constants.R_OK);
    if (!statSync(abs).isFile()) throw new Error('not a file');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read video input ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`,
    );
  }
  return abs;
}

function risk(value: string | undefined, where: string, fallback: RiskLevel): RiskLevel {
  if (value === undefined) return fallback;
  const r = parseRiskLevel(value);
  if (!r) throw new UserError(`invalid ${where}: threshold "${value}" (use NONE, LOW, MEDIUM, HIGH or CRITICAL)`);
  return r;
}

function checkMotion(m: MotionSettings, where: string): MotionSettings {
  if (!Value.Check(MotionSettings, m)) {
    throw new UserError(`invalid ${where}: ${explainSchemaError(Value.Errors(MotionSettings, m).First()!, 'motion')}`);
  }
  return m;
}

function slug(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'camera'
  );
}

function buildCamera(
  entry: CameraEntry,
  defaults: AgentFile['defaults'],
  cli: CliOptions,
  index: number,
  where: string,
): CameraConfig {
  const d = defaults ?? {};
  const src = entry.video_input ?? entry.rtsp_url;
  if (!src) throw new UserError(`invalid ${where}: needs "rtsp_url" or "video_input"`);
  // An rtsp_url is checked as a URL even when it is not rtsp:// (the message then says so).
  const isRtsp = entry.video_input === undefined || /^rtsps?:\/\//i.test(src);
  const source = isRtsp ? checkUrl(src, `RTSP URL in ${where}`) : checkReadableVideo(src);
  const name = entry.name ?? entry.id ?? (isRtsp ? new URL(src).host : basename(src).replace(/\.[^.]+$/, ''));
  const motion = checkMotion(
    Value.Default(MotionSettings, { ...(d.motion ?? {}), ...(entry.motion ?? {}) }) as MotionSettings,
    where,
  );
  const record = Value.Default(RecordSettings, { ...(d.record ?? {}), ...(entry.record ?? {}) }) as RecordSettings;
  if (!Value.Check(RecordSettings, record))
    throw new UserError(
      `invalid ${where}: ${explainSchemaError(Value.Errors(RecordSettings, record).First()!, 'record')}`,
    );
  return {
    id: entry.id ?? (index === 0 && cli.cameraId ? cli.cameraId : slug(name)),
    name,
    source,
    kind: isRtsp ? 'rtsp' : 'file',
    loop: entry.loop ?? d.loop ?? cli.loop,
    rtspTransport: entry.rtsp_transport ?? d.rtsp_transport ?? cli.rtspTransport ?? 'auto',
    analysisEnabled: entry.analysis_enabled ?? d.analysis_enabled ?? true,
    alertEnabled: entry.alert_enabled ?? d.alert_enabled ?? true,
    motion,
    record,
    threshold: risk(entry.threshold ?? d.threshold, where, DEFAULT_ALERT_THRESHOLD),
    detectFps: cli.detectFps ?? entry.detect_fps ?? d.detect_fps ?? 5,
    sampleInterval: entry.sample_interval ?? d.sample_interval ?? 2,
    sceneMemorySeconds: entry.scene_memory ?? d.scene_memory ?? 30,
    cooldownSeconds: entry.cooldown ?? d.cooldown ?? 60,
    language: entry.language ?? d.language ?? AlertLanguage.En,
    languageSet: (entry.language ?? d.language) !== undefined,
  };
}

/** Masks given on the command line would be unwieldy; they come from the config file's `motion.mask`. */
export type { Polygon };

/**
 * Builds the agent's configuration: config files (agent YAML/JSON, multi_source_config.json, config.ini),
 * then the environment (which wins), then command-line flags for a single camera.
 */
export function loadAgentConfig(cli: CliOptions, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let e: Static<typeof AgentEnv>;
  try {
    e = loadConfig(AgentEnv, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UserError(`invalid environment: ${err.problems.join('; ')}`);
    throw err;
  }
  const files: Array<AgentFile & { secret_key?: string; file: string }> = [];
  for (const f of cli.configFiles) files.push({ ...readConfigFile(userPath(f, env)), file: f });
  const merged = Object.assign({}, ...files) as AgentFile & { secret_key?: string };

  const cameras: CameraConfig[] = [];
  for (const f of files) {
    const entries = [...(f.cameras ?? []), ...(f.video_sources ?? [])];
    entries.forEach((entry, i) => {
      if (entry.enabled === false) return;
      cameras.push(buildCamera(entry, f.defaults, { ...cli, cameraId: undefined }, i, `camera #${i + 1} in ${f.file}`));
    });
  }
  const cliDefaults = files.find((f) => f.defaults)?.defaults;
  if (cli.videoInput) {
    cameras.unshift(
      buildCamera({ id: cli.cameraId, video_input: cli.videoInput }, cliDefaults, cli, 0, `--video-input`),
    );
  }
  if (cli.rtspUrl) {
    cameras.unshift(buildCamera({ id: cli.cameraId, rtsp_url: cli.rtspUrl }, cliDefaults, cli, 0, '--rtsp-url'));
  }
  if (cameras.length === 0) {
    throw new UserError(
      'no camera: give --video-input FILE, --rtsp-url URL, or --config FILE listing cameras (see --help)',
    );
  }
  const ids = new Set<string>();
  for (const c of cameras) {
    if (ids.has(c.id)) c.id = `${c.id}-${ids.size + 1}`;
    ids.add(c.id);
  }

  const apiServerUrl = e.API_SERVER_URL ?? merged.api_server_url;
  return {
    cameras,
    fast: cli.fast,
    outbox: userPath(cli.outbox, env),
    apiServerUrl: apiServerUrl ? checkUrl(apiServerUrl, 'API server URL') : undefined,
    apiKey: e.VIGINT_API_KEY ?? e.API_KEY ?? e.SECRET_KEY ?? merged.secret_key,
    secretKey: e.SECRET_KEY ?? merged.secret_key,
    googleApiKey: e.GOOGLE_API_KEY,
    geminiModels: (({ short, long }) => ({ short, long }))(resolveModels(e)),
    geminiBaseUrl: e.GEMINI_BASE_URL,
    ai: {
      GOOGLE_API_KEY: e.GOOGLE_API_KEY,
      GEMINI_BASE_URL: e.GEMINI_BASE_URL,
      GEMINI_MODEL: e.GEMINI_MODEL,
      GEMINI_MODEL_SHORT: e.GEMINI_MODEL_SHORT,
      GEMINI_MODEL_LONG: e.GEMINI_MODEL_LONG,
      GEMINI_MODEL_FALLBACK: e.GEMINI_MODEL_FALLBACK,
      AI_PROVIDER: e.AI_PROVIDER,
      AI_BASE_URL: e.AI_BASE_URL,
      AI_API_KEY: e.AI_API_KEY,
      AI_MODEL_SHORT: e.AI_MODEL_SHORT,
      AI_MODEL_LONG: e.AI_MODEL_LONG,
      AI_MODEL_FALLBACK: e.AI_MODEL_FALLBACK,
      AI_PRICES_JSON: e.AI_PRICES_JSON,
      AI_BUDGET_DAILY_USD: e.AI_BUDGET_DAILY_USD,
      AI_BUDGET_MONTHLY_USD: e.AI_BUDGET_MONTHLY_USD,
      GEMINI_CONFIRM_THINKING: e.GEMINI_CONFIRM_THINKING,
    },
    email: {
      smtpServer: e.EMAIL_SMTP_SERVER,
      smtpPort: e.EMAIL_SMTP_PORT,
      username: e.EMAIL_USERNAME,
      password: e.EMAIL_PASSWORD,
      from: e.EMAIL_FROM,
      to: e.EMAIL_TO,
    },
    shortBufferSeconds: merged.short_buffer_duration ?? 3,
    longBufferSeconds: merged.long_buffer_duration ?? 10,
    watchdogSeconds: merged.watchdog_seconds ?? 10,
    offlineAlertSeconds: merged.offline_alert_seconds ?? 60,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    segmentSeconds: merged.segment_seconds ?? 2,
    outboxDrainSeconds: e.OUTBOX_DRAIN_SECONDS,
    failoverAfterSeconds: e.FAILOVER_AFTER_SECONDS,
    ...(merged.notify ? { notify: noticeSettings(merged.notify) } : {}),
  };
}

function noticeSettings(n: NonNullable<AgentFile['notify']>): NonNullable<AgentConfig['notify']> {
  const { time_zone, telegram_api_base, ...channels } = n;
  if (time_zone) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: time_zone });
    } catch {
      throw new UserError(
        `invalid config: notify.time_zone "${time_zone}" is not an IANA time zone (e.g. Europe/Paris)`,
      );
    }
  }
  return { channels, timeZone: time_zone, telegramApiBase: telegram_api_base };
}
