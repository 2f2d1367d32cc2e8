import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consoleMessages, type ConsoleMessages } from './console-messages';

/** The private link page's headers, plus a stylesheet from 'self', no framing and forms only to us. */
export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'private, no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'none'; media-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
}

export function messagesFor(req: FastifyRequest): ConsoleMessages {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  return consoleMessages(typeof q === 'string' ? q : (req.consoleSession?.language ?? acceptLanguage(req)));
}

function acceptLanguage(req: FastifyRequest): string {
  const h = String(req.headers['accept-language'] ?? '');
  return /^\s*fr\b/i.test(h) ? 'fr' : 'en';
}

/** True when `tz` is an IANA zone this runtime knows. */
export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function formatTime(t: ConsoleMessages, iso: string | Date | null | undefined, timeZone: string): string {
  if (!iso) return '';
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(t.locale, {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone: validTimeZone(timeZone) ? timeZone : 'UTC',
  }).format(d);
}

export interface PageData {
  title: string;
  section?: string;
  flash?: string;
  [key: string]: unknown;
}

/** Renders one console page with the layout's common data and the security headers. */
export async function renderPage(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  page: string,
  data: PageData,
  status = 200,
): Promise<FastifyReply> {
  const t = messagesFor(req);
  const html = await reply.viewAsync(page, {
    t,
    session: req.consoleSession,
    csrf: app.consoleSessions.csrfToken(req, reply),
    path: req.url.split('?')[0],
    ...data,
  });
  return securityHeaders(reply).code(status).type('text/html; charset=utf-8').send(html);
}
