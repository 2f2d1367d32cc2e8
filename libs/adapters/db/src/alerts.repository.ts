import { isUuid, parseIntId, requireIntId } from './db-ids';
import { toAlertRow } from './db.mappers';
import { AlertRowState, type AlertRow } from './db.types';
import type { PrismaClient } from './generated/prisma/client';

export interface ClaimAlertInput {
  idempotencyKey: string;
  clientId: string;
  incidentId?: string | null;
  recipient?: string | null;
  cameraName?: string | null;
  cameraId?: string | null;
  /** When the incident happened (cooldown windows compare this); default now. */
  occurredAt?: Date;
  sceneHashes?: string[];
  /** Defaults to the first scene hash. */
  phash?: string | null;
}

export interface ClaimAlertResult {
  /** True when this caller now holds the claim (state sending, attempts incremented). */
  claimed: boolean;
  /** True when the row did not exist before. */
  created: boolean;
  alert: AlertRow;
}

export interface RecentAlertQuery {
  clientId: string;
  cameraId: string | null;
  /** Alerts whose incident occurred at or after this time. */
  since: Date;
  /** States that count (default: sent and sending — an alert being sent blocks a duplicate too). */
  statuses?: AlertRowState[];
  /** Leave this idempotency key out (the caller's own claim). */
  excludeKey?: string;
}

export class AlertsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Claims the idempotency key for sending, atomically (one INSERT … ON CONFLICT DO UPDATE … WHERE):
   * no row, a failed row, or a sending row whose lease has run out → state sending, attempts + 1,
   * lease until now + leaseMs, `claimed: true`. Otherwise `claimed: false` with the row as it is (sent,
   * suppressed, or sending under a live lease). Concurrent claims of one key: exactly one wins.
   */
  async claim(input: ClaimAlertInput, options: { leaseMs: number; now?: Date }): Promise<ClaimAlertResult> {
    const now = options.now ?? new Date();
    const leaseUntil = new Date(now.getTime() + options.leaseMs);
    const hashes = input.sceneHashes ?? [];
    const won = await this.prisma.$queryRaw<{ id: string; inserted: boolean }[]>`
      INSERT INTO "alerts" ("idempotency_key", "client_id", "incident_id", "recipient", "phash", "scene_hashes",
                            "camera_name", "camera_id", "occurred_at", "status", "attempts", "lease_until")
      VALUES (${input.idempotencyKey}, ${requireIntId(input.clientId, 'client')}::int, ${input.incidentId ?? null}::uuid,
              ${input.recipient ?? null}, ${input.phash ?? hashes[0] ?? null}, ${hashes}::text[],
              ${input.cameraName ?? null}, ${input.cameraId ?? null}, ${input.occurredAt ?? now}::timestamptz, ${AlertRowState.Sending}, 1,
              ${leaseUntil}::timestamptz)
      ON CONFLICT ("idempotency_key") DO UPDATE SET
        "status" = ${AlertRowState.Sending},
        "attempts" = "alerts"."attempts" + 1,
        "lease_until" = EXCLUDED."lease_until",
        "last_error" = NULL
      WHERE "alerts"."status" = ${AlertRowState.Failed}
         OR ("alerts"."status" = ${AlertRowState.Sending}
             AND ("alerts"."lease_until" IS NULL OR "alerts"."lease_until" <= ${now}::timestamptz))
      RETURNING "id"::text AS "id", (xmax = 0) AS "inserted"`;
    const row = await this.prisma.alert.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (!row) throw new Error('alert claim lost its row'); // deleted between the two statements
    const first = won[0];
    return { claimed: first !== undefined, created: first?.inserted === true, alert: toAlertRow(row) };
  }

  /** Extends the lease of a live claim (state sending, this attempt); false when the claim is no longer held. */
  async renewLease(
    idempotencyKey: string,
    options: { attempt: number; leaseMs: number; now?: Date },
  ): Promise<boolean> {
    const now = options.now ?? new Date();
    const { count } = await this.prisma.alert.updateMany({
      where: { idempotencyKey, status: AlertRowState.Sending, attempts: options.attempt },
      data: { leaseUntil: new Date(now.getTime() + options.leaseMs) },
    });
    return count === 1;
  }

  async findByIdempotencyKey(idempotencyKey: string): Promise<AlertRow | null> {
    const row = await this.prisma.alert.findUnique({ where: { idempotencyKey } });
    return row ? toAlertRow(row) : null;
  }

  async findById(id: string): Promise<AlertRow | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.alert.findUnique({ where: { id } });
    return row ? toAlertRow(row) : null;
  }

  /** Adds one to attempts and returns the new count (claim already counts its own attempt). */
  async incrementAttempts(idempotencyKey: string): Promise<number> {
    const row = await this.prisma.alert.update({ where: { idempotencyKey }, data: { attempts: { increment: 1 } } });
    return row.attempts;
  }

  async markSent(
    idempotencyKey: string,
    sent: { providerMessageId: string | null; sentAt?: Date; recipient?: string | null },
  ): Promise<AlertRow> {
    const row = await this.prisma.alert.update({
      where: { idempotencyKey },
      data: {
        status: AlertRowState.Sent,
        providerMessageId: sent.providerMessageId,
        sentAt: sent.sentAt ?? new Date(),
        leaseUntil: null,
        lastError: null,
        ...(sent.recipient !== undefined ? { recipient: sent.recipient } : {}),
      },
    });
    return toAlertRow(row);
  }

  /** Delivery failed: the lease is released so the next claim (a retry) may try again. */
  async markFailed(idempotencyKey: string, error: string): Promise<AlertRow> {
    const row = await this.prisma.alert.update({
      where: { idempotencyKey },
      data: { status: AlertRowState.Failed, lastError: error.slice(0, 2000), leaseUntil: null },
    });
    return toAlertRow(row);
  }

  /** A duplicate of a recent scene or inside the cooldown: never sent, never retried. */
  async markSuppressed(
    idempotencyKey: string,
    result: { reason: string; duplicateOf?: string | null },
  ): Promise<AlertRow> {
    const row = await this.prisma.alert.update({
      where: { idempotencyKey },
      data: {
        status: AlertRowState.Suppressed,
        reason: result.reason.slice(0, 2000),
        duplicateOf: result.duplicateOf ?? null,
        leaseUntil: null,
      },
    });
    return toAlertRow(row);
  }

  /** Alerts of (client, camera) whose incident occurred since a time, newest first: cooldown and scene dedup. */
  async listRecentForCamera(q: RecentAlertQuery, limit = 50): Promise<AlertRow[]> {
    const cid = parseIntId(q.clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.alert.findMany({
      where: {
        clientId: cid,
        cameraId: q.cameraId,
        occurredAt: { gte: q.since },
        status: { in: q.statuses ?? [AlertRowState.Sent, AlertRowState.Sending] },
        ...(q.excludeKey !== undefined ? { idempotencyKey: { not: q.excludeKey } } : {}),
      },
      orderBy: [{ occurredAt: 'desc' }, { createdAt: 'desc' }],
      take: limit,
    });
    return rows.map(toAlertRow);
  }

  async findLatestForCamera(q: RecentAlertQuery): Promise<AlertRow | null> {
    return (await this.listRecentForCamera(q, 1))[0] ?? null;
  }
}
