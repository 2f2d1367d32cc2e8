import { pino, type DestinationStream, type LoggerOptions } from 'pino';
import type { Logger } from 'pino';
import { prettyStream } from './pretty-stream';

export type { Logger } from 'pino';

/**
 * Paths never written to logs: credentials, keys, signed links, and any field that may carry image bytes.
 * Fastify's request serializer only logs method/url/ids, so bodies never reach the log in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-admin-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-admin-key"]',
  'apiKey',
  'api_key',
  'secretKey',
  'password',
  'pass',
  'token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.pass',
  '*.token',
  'frame',
  'frames',
  'frame_data',
  'video_data',
  '*.frame',
  '*.frames',
  '*.frame_data',
  '*.video_data',
];

/** Strips secrets that ride in URLs (`?api_key=`, `?token=`) before a URL is logged. */
export function redactUrl(url: string): string {
  // Names are compared decoded: `?api%5Fkey=` authenticates like `?api_key=` (the query parser decodes it).
  return url.replace(/([?&])([^=&#]*)=([^&#]*)/g, (whole, sep: string, name: string) =>
    SECRET_QUERY_NAMES.has(decodedName(name)) ? `${sep}${name}=[Redacted]` : whole,
  );
}

const SECRET_QUERY_NAMES = new Set(['api_key', 'token', 'key']);

function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

export interface CreateLoggerOptions {
  name: string;
  level?: string;
  /** Where logs go; defaults to stdout. Tests pass a stream to capture and grep them. */
  destination?: NodeJS.WritableStream;
  /** `json` (default: one JSON object a line, for services and log collectors) or `pretty` (readable, for a terminal). */
  format?: LogFormat;
}

export type LogFormat = 'json' | 'pretty';

/**
 * The format for a destination: `LOG_FORMAT` when set (`json` or `pretty`), else readable on a terminal and
 * JSON everywhere else (pipes, files, containers).
 */
export function logFormatFor(destination: { isTTY?: boolean }, requested?: string): LogFormat {
  if (requested === 'json' || requested === 'pretty') return requested;
  return destination.isTTY === true ? 'pretty' : 'json';
}

export function loggerOptions(name: string, level = process.env.LOG_LEVEL ?? 'info'): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger({ name, level, destination, format = 'json' }: CreateLoggerOptions): Logger {
  const opts = loggerOptions(name, level);
  if (format === 'pretty') {
    const out = destination ?? process.stdout;
    return pino(opts, prettyStream(out, { tty: (out as { isTTY?: boolean }).isTTY === true }) as DestinationStream);
  }
  return destination ? pino(opts, destination as DestinationStream) : pino(opts);
}

/** A logger that drops everything: for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
