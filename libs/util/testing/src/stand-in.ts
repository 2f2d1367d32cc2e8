import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * What the AI stand-ins (fake Gemini, fake OpenAI-compatible) share: their recorded replies, kept as fixtures
 * with their source, and the plain HTTP plumbing around their own validation.
 */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface RecordedFixture {
  /** Where the reply was recorded or documented. */
  source: string;
  note: string;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** `{{name}}` placeholders filled from vars; a lone placeholder keeps the value's type (a number stays one). */
function fill(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const lone = /^\{\{(\w+)\}\}$/.exec(v);
    if (lone && lone[1]! in vars) return vars[lone[1]!];
    return v.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars)]));
  return v;
}

/** fixtures/<provider>/<name>.json with its placeholders filled. */
export function loadFixture(
  provider: 'gemini' | 'openai',
  name: string,
  vars: Record<string, unknown> = {},
): RecordedFixture {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, provider, `${name}.json`), 'utf8')) as RecordedFixture;
  const out: RecordedFixture = { ...fixture, body: fill(fixture.body, vars) };
  if (fixture.headers) out.headers = fill(fixture.headers, vars) as Record<string, string>;
  return out;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(JSON.stringify(body));
}

/** Listens on a free port of 127.0.0.1; returns the port. */
export async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and the connections still open (a client waiting on a delayed reply). */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
