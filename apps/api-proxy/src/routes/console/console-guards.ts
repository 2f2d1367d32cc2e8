import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@vigint/contracts';

/** Guard of the client pages: a signed-in client, else the sign-in form (an admin goes to the clients list). */
export async function requireClient(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (req.consoleSession?.clientId) return undefined;
  return reply.redirect(req.consoleSession?.admin ? '/console/admin' : '/console/sign-in', 303);
}

export async function requireAdmin(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (req.consoleSession?.admin) return undefined;
  return reply.redirect('/console/sign-in', 303);
}

/** The client id of a signed-in page (after requireClient). */
export function tenantIdOf(req: FastifyRequest): string {
  const id = req.consoleSession?.clientId;
  if (!id) throw new AppError(ErrorCode.Unauthorized, 'sign in first');
  return id;
}
