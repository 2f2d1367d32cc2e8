import {
  DEFAULT_ALERT_THRESHOLD,
  DEFAULT_RECORD_RETENTION_HOURS,
  type CameraHeartbeat,
  type CameraRecord,
  type RiskLevel,
} from '@vigint/contracts';
import { parseIntId, requireIntId } from './db-ids';
import { toCamera } from './db.mappers';
import type { PrismaClient } from './generated/prisma/client';
import type { IncidentsRepository } from './incidents.repository';

const startOfUtcDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

/**
 * The camera store on PostgreSQL (libs/core/alerting CameraStore): one row per client and agent camera id,
 * refreshed by every heartbeat, expiring `retentionHours` after the last one.
 */
export class CamerasRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly incidents: Pick<IncidentsRepository, 'countSince'>,
    private readonly retentionHours = DEFAULT_RECORD_RETENTION_HOURS,
  ) {}

  async heartbeat(tenant: string, beat: CameraHeartbeat, now: Date = new Date()): Promise<CameraRecord> {
    const clientId = requireIntId(tenant, 'client');
    const expiresAt = new Date(now.getTime() + this.retentionHours * 3_600_000);
    const seen = {
      name: beat.name,
      state: beat.state,
      lastHeartbeatAt: now,
      expiresAt,
      ...(beat.lastFrameAt ? { lastFrameAt: new Date(beat.lastFrameAt) } : {}),
    };
    // ON CONFLICT DO NOTHING then update: Prisma's upsert is not atomic for this shape (it can raise P2002).
    await this.prisma.camera.createMany({
      data: [
        {
          clientId,
          cameraKey: beat.id,
          ...seen,
          alertThreshold: beat.alertThreshold ?? DEFAULT_ALERT_THRESHOLD,
        },
      ],
      skipDuplicates: true,
    });
    const row = await this.prisma.camera.update({
      where: { clientId_cameraKey: { clientId, cameraKey: beat.id } },
      data: seen,
    });
    return toCamera(row, (await this.incidents.countSince(clientId, startOfUtcDay(now))).get(beat.id) ?? 0);
  }

  async list(tenant: string, now: Date = new Date()): Promise<CameraRecord[]> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return [];
    const [rows, counts] = await Promise.all([
      this.prisma.camera.findMany({
        where: { clientId, expiresAt: { gt: now } },
        orderBy: [{ name: 'asc' }, { cameraKey: 'asc' }],
      }),
      this.incidents.countSince(clientId, startOfUtcDay(now)),
    ]);
    return rows.map((r) => toCamera(r, counts.get(r.cameraKey) ?? 0));
  }

  async get(tenant: string, id: string, now: Date = new Date()): Promise<CameraRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return null;
    const row = await this.prisma.camera.findFirst({ where: { clientId, cameraKey: id, expiresAt: { gt: now } } });
    if (!row) return null;
    return toCamera(row, (await this.incidents.countSince(clientId, startOfUtcDay(now))).get(id) ?? 0);
  }

  async snooze(tenant: string, id: string, until: Date | null): Promise<CameraRecord | null> {
    return this.change(tenant, id, { snoozedUntil: until });
  }

  async setThreshold(tenant: string, id: string, level: RiskLevel): Promise<CameraRecord | null> {
    return this.change(tenant, id, { alertThreshold: level });
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    return (await this.prisma.camera.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }

  async erase(tenant: string): Promise<number> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return 0;
    return (await this.prisma.camera.deleteMany({ where: { clientId } })).count;
  }

  private async change(
    tenant: string,
    id: string,
    data: { snoozedUntil?: Date | null; alertThreshold?: string },
  ): Promise<CameraRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return null;
    const { count } = await this.prisma.camera.updateMany({
      where: { clientId, cameraKey: id, expiresAt: { gt: new Date() } },
      data,
    });
    return count > 0 ? this.get(tenant, id) : null;
  }
}
