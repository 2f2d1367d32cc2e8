import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
/** Fields every line has, or that the line's head already shows. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'module', 'v']);

export interface PrettyStreamOptions {
  /** Colour the level and clear the terminal's current line first (a status line redrawn in place). */
  tty?: boolean;
}

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One pino JSON line as a person reads it: `21:47:42 WARN  intruder: incident opened risk=MEDIUM eventStart=13`. */
export function formatLogLine(line: string, opts: PrettyStreamOptions = {}): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : new Date().toISOString().slice(11, 19);
  const name = LEVELS[level] ?? String(level);
  const label = opts.tty && COLORS[level] ? `${COLORS[level]}${name.padEnd(5)}\x1b[0m` : name.padEnd(5);
  const who = typeof rec.cameraId === 'string' ? `${rec.cameraId}: ` : '';
  const fields = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && k !== 'cameraId' && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return `${time} ${label} ${who}${String(rec.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}

/**
 * A destination for pino that writes readable lines instead of JSON (for a terminal). Services and log collectors
 * keep the JSON: the agent uses this only when its output is a terminal and LOG_FORMAT is not `json`.
 */
export function prettyStream(out: NodeJS.WritableStream, opts: PrettyStreamOptions = {}): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      const text = lines
        .filter((l) => l.trim() !== '')
        .map((l) => `${opts.tty ? '\r\x1b[K' : ''}${formatLogLine(l, opts)}\n`)
        .join('');
      if (text) out.write(text);
      done();
    },
    final(done) {
      if (rest.trim()) out.write(`${formatLogLine(rest, opts)}\n`);
      done();
    },
  });
}
