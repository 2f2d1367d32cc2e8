import { requireIntId, parseIntId } from './db-ids';
import type { PrismaClient } from './generated/prisma/client';

export interface NoticeDeliveryRecord {
  idempotencyKey: string;
  incidentId: string;
  channel: string;
  status: string;
  attempts: number;
  httpStatus: number | null;
  lastError: string | null;
  updatedAt: Date;
}

/**
 * Claims of instant notices, one row per (incident, channel) key: a claim succeeds once, or again after a
 * failure or when a sender died (lease passed). Rows expire with the incident's footage.
 */
export class NoticeDeliveriesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async claim(input: {
    clientId: string;
    idempotencyKey: string;
    incidentId: string;
    channel: string;
    leaseMs: number;
    expiresAt: Date;
  }): Promise<boolean> {
    const cid = requireIntId(input.clientId, 'client');
    const staleBefore = new Date(Date.now() - input.leaseMs);
    // One statement: concurrent claims of one key serialise on the unique index, and only one wins.
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      INSERT INTO notice_deliveries (client_id, incident_id, channel, idempotency_key, status, expires_at)
      VALUES (${cid}, ${input.incidentId}, ${input.channel}, ${input.idempotencyKey}, 'sending', ${input.expiresAt})
      ON CONFLICT (idempotency_key) DO UPDATE SET status = 'sending', updated_at = now()
      WHERE notice_deliveries.status = 'failed'
         OR (notice_deliveries.status = 'sending' AND notice_deliveries.updated_at < ${staleBefore})
      RETURNING id`;
    return rows.length === 1;
  }

  async recordAttempt(key: string, attempt: { ok: boolean; httpStatus?: number; error?: string }): Promise<void> {
    await this.prisma.noticeDelivery.updateMany({
      where: { idempotencyKey: key },
      data: {
        attempts: { increment: 1 },
        httpStatus: attempt.httpStatus ?? null,
        lastError: attempt.ok ? null : (attempt.error ?? 'failed').slice(0, 500),
        updatedAt: new Date(),
      },
    });
  }

  async finish(key: string, status: 'sent' | 'failed'): Promise<void> {
    await this.prisma.noticeDelivery.updateMany({
      where: { idempotencyKey: key },
      data: { status, updatedAt: new Date() },
    });
  }

  async listForIncident(clientId: string, incidentId: string): Promise<NoticeDeliveryRecord[]> {
    const cid = parseIntId(clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.noticeDelivery.findMany({
      where: { clientId: cid, incidentId },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((r) => ({
      idempotencyKey: r.idempotencyKey,
      incidentId: r.incidentId,
      channel: r.channel,
      status: r.status,
      attempts: r.attempts,
      httpStatus: r.httpStatus,
      lastError: r.lastError,
      updatedAt: r.updatedAt,
    }));
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const { count } = await this.prisma.noticeDelivery.deleteMany({ where: { expiresAt: { lte: now } } });
    return count;
  }
}
