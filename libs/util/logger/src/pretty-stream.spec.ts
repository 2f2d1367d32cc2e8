import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormatFor } from './logger';
import { formatLogLine } from './pretty-stream';

async function capture(format: 'json' | 'pretty', write: (log: ReturnType<typeof createLogger>) => void) {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const log = createLogger({ name: 'edge-agent', level: 'info', destination: out, format });
  write(log);
  await new Promise((r) => setTimeout(r, 20));
  return chunks.join('');
}

describe('readable log lines', () => {
  it('formats a pino line as time, level, camera, message and fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-01T21:47:22.186Z',
      pid: 1,
      name: 'edge-agent',
      module: 'pipeline',
      cameraId: 'door',
      risk: 'HIGH',
      eventStart: 13,
      detail: 'two words',
      msg: 'incident opened',
    });
    expect(formatLogLine(line)).toBe('21:47:22 WARN  door: incident opened risk=HIGH eventStart=13 detail="two words"');
    expect(formatLogLine('not json')).toBe('not json');
  });

  it('writes no JSON in pretty format, keeps redaction, and JSON stays the default', async () => {
    const pretty = await capture('pretty', (log) => log.warn({ apiKey: 'sk-secret', cameraId: 'c1' }, 'gateway down'));
    expect(pretty).toMatch(/^\d\d:\d\d:\d\d WARN {2}c1: gateway down apiKey=\[Redacted\]\n$/);
    expect(pretty).not.toContain('{');
    expect(pretty).not.toContain('sk-secret');
    const json = await capture('json', (log) => log.info({ n: 1 }, 'hello'));
    expect(JSON.parse(json)).toMatchObject({ msg: 'hello', n: 1 });
  });

  it('chooses pretty on a terminal and JSON elsewhere unless LOG_FORMAT says', () => {
    expect(logFormatFor({ isTTY: true })).toBe('pretty');
    expect(logFormatFor({ isTTY: false })).toBe('json');
    expect(logFormatFor({ isTTY: true }, 'json')).toBe('json');
    expect(logFormatFor({}, 'pretty')).toBe('pretty');
  });
});
