import { AlertStatus } from '@vigint/contracts';
import { isUuid, parseIntId, requireIntId } from './db-ids';
import { toAlertRecord } from './db.mappers';
import type { AlertRecord } from './db.types';
import type { Prisma, PrismaClient } from './generated/prisma/client';

export interface ClaimAlertInput {
  idempotencyKey: string;
  clientId: string;
  incidentId?: string | null;
  recipient?: string | null;
  phash?: string | null;
  cameraName?: string | null;
}

export interface RecentAlertQuery {
  clientId: string;
  cameraName: string | null;
  since: Date;
  /** Statuses that count (default: delivered and queued — an alert being sent blocks a duplicate too). */
  statuses?: string[];
  /** Leave this alert out (the caller's own freshly claimed row). */
  excludeId?: string;
}

export class AlertsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims the idempotency key: inserts a `queued` row, or returns the row that already holds the key
   * (created: false). INSERT … ON CONFLICT DO NOTHING on the unique key, so concurrent claims of one key
   * yield exactly one created row and every caller sees that same row.
   */
  async claim(input: ClaimAlertInput): Promise<{ alert: AlertRecord; created: boolean }> {
    const inserted = await this.prisma.alert.createManyAndReturn({
      data: [
        {
          idempotencyKey: input.idempotencyKey,
          clientId: requireIntId(input.clientId, 'client'),
          incidentId: input.incidentId ?? null,
          recipient: input.recipient ?? null,
          phash: input.phash ?? null,
          cameraName: input.cameraName ?? null,
          status: AlertStatus.Queued,
        },
      ],
      skipDuplicates: true,
    });
    const row = inserted[0];
    if (row) return { alert: toAlertRecord(row), created: true };
    const existing = await this.prisma.alert.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (!existing) throw new Error('alert claim lost its row'); // the key was deleted between the two statements
    return { alert: toAlertRecord(existing), created: false };
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<AlertRecord | null> {
    const row = await this.prisma.alert.findUnique({ where: { idempotencyKey } });
    return row ? toAlertRecord(row) : null;
  }

  async findById(id: string): Promise<AlertRecord | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.alert.findUnique({ where: { id } });
    return row ? toAlertRecord(row) : null;
  }

  /** Adds one to attempts and returns the new count. */
  async incrementAttempts(id: string): Promise<number> {
    const row = await this.prisma.alert.update({ where: { id }, data: { attempts: { increment: 1 } } });
    return row.attempts;
  }

  async markSent(
    id: string,
    sent: { providerMessageId: string | null; recipient?: string | null; sentAt?: Date },
  ): Promise<AlertRecord> {
    const data: Prisma.AlertUpdateInput = {
      status: AlertStatus.Delivered,
      providerMessageId: sent.providerMessageId,
      sentAt: sent.sentAt ?? new Date(),
      lastError: null,
    };
    if (sent.recipient !== undefined) data.recipient = sent.recipient;
    return toAlertRecord(await this.prisma.alert.update({ where: { id }, data }));
  }

  /** Final failure (retries exhausted or permanent error). */
  async markFailed(id: string, error: string): Promise<AlertRecord> {
    const row = await this.prisma.alert.update({
      where: { id },
      data: { status: AlertStatus.Failed, lastError: error.slice(0, 2000) },
    });
    return toAlertRecord(row);
  }

  /** A transient failure: keeps status queued, remembers the error. */
  async recordError(id: string, error: string): Promise<void> {
    await this.prisma.alert.update({ where: { id }, data: { lastError: error.slice(0, 2000) } });
  }

  /** Duplicate of a recent scene (perceptual hash) or within the cooldown: never sent. */
  async markSuppressed(id: string, reason: string): Promise<AlertRecord> {
    const row = await this.prisma.alert.update({
      where: { id },
      data: { status: AlertStatus.Suppressed, lastError: reason.slice(0, 2000) },
    });
    return toAlertRecord(row);
  }

  /** Alerts of (client, camera) created since a time, newest first: cooldown and perceptual-hash dedup. */
  async listRecentForCamera(q: RecentAlertQuery, limit = 20): Promise<AlertRecord[]> {
    const cid = parseIntId(q.clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.alert.findMany({
      where: {
        clientId: cid,
        cameraName: q.cameraName,
        createdAt: { gte: q.since },
        status: { in: q.statuses ?? [AlertStatus.Delivered, AlertStatus.Queued] },
        ...(q.excludeId && isUuid(q.excludeId) ? { id: { not: q.excludeId } } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(toAlertRecord);
  }

  async findLatestForCamera(q: RecentAlertQuery): Promise<AlertRecord | null> {
    return (await this.listRecentForCamera(q, 1))[0] ?? null;
  }
}
