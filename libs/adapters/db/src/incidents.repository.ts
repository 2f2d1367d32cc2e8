import {
  DEFAULT_RECORD_RETENTION_HOURS,
  decodeIncidentCursor,
  encodeIncidentCursor,
  IncidentStatus,
  RISK_ORDER,
  type IncidentDelivery,
  type IncidentListQuery,
  type IncidentOpen,
  type IncidentPage,
  type IncidentPatch,
  type IncidentRecord,
} from '@vigint/contracts';
import { isUuid, parseIntId, requireIntId } from './db-ids';
import { isUniqueViolation } from './db-error';
import { toIncident } from './db.mappers';
import { Prisma, type PrismaClient } from './generated/prisma/client';

/** Prisma's nullable JSON columns take `DbNull`, not `null`; undefined leaves the column as it is. */
type JsonIn = Prisma.InputJsonValue | typeof Prisma.DbNull;

/**
 * The incident store on PostgreSQL (libs/core/alerting IncidentStore, distributed mode). Scoped by client id;
 * the unique (client, idempotency key) makes open() idempotent across gateway instances.
 */
export class IncidentsRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly retentionHours = DEFAULT_RECORD_RETENTION_HOURS,
  ) {}

  async open(tenant: string, input: IncidentOpen): Promise<IncidentRecord> {
    const clientId = requireIntId(tenant, 'client');
    const startedAt = new Date(input.startedAt);
    try {
      const row = await this.prisma.incident.create({
        data: {
          clientId,
          idempotencyKey: input.idempotencyKey,
          cameraKey: input.cameraId,
          cameraName: input.cameraName,
          startedAt,
          detectedAt: new Date(input.detectedAt),
          riskLevel: input.riskLevel,
          incidentType: input.incidentType,
          analysis: input.summary,
          screen: this.json(input.screen) ?? Prisma.DbNull,
          confirm: this.json(input.confirm) ?? Prisma.DbNull,
          expiresAt: new Date(startedAt.getTime() + this.retentionHours * 3_600_000),
        },
      });
      return toIncident(row);
    } catch (err) {
      // A second announce (retry, two gateway instances): the first record stands.
      if (!isUniqueViolation(err)) throw err;
      const found = await this.findByKey(tenant, input.idempotencyKey);
      if (!found) throw err;
      return found;
    }
  }

  async update(tenant: string, idempotencyKey: string, patch: IncidentPatch): Promise<IncidentRecord | null> {
    return this.mutate(tenant, idempotencyKey, this.patchData(patch));
  }

  async complete(tenant: string, idempotencyKey: string, patch: IncidentPatch = {}): Promise<IncidentRecord | null> {
    const data = this.patchData(patch);
    const existing = await this.findByKey(tenant, idempotencyKey);
    if (!existing) return null;
    return this.mutate(tenant, idempotencyKey, {
      ...data,
      status: IncidentStatus.Closed,
      endedAt: data.endedAt ?? (existing.endedAt ? new Date(existing.endedAt) : new Date()),
    });
  }

  async addDelivery(
    tenant: string,
    idempotencyKey: string,
    delivery: IncidentDelivery,
  ): Promise<IncidentRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return null;
    // One statement appends to the JSON array: two workers recording at once both keep their entry.
    const n = await this.prisma.$executeRaw`
      UPDATE "incidents" SET "deliveries" = "deliveries" || ${JSON.stringify([delivery])}::jsonb, "updated_at" = now()
      WHERE "client_id" = ${clientId} AND "idempotency_key" = ${idempotencyKey} AND "expires_at" > now()`;
    return n > 0 ? this.findByKey(tenant, idempotencyKey) : null;
  }

  async list(tenant: string, query: IncidentListQuery): Promise<IncidentPage> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return { incidents: [], nextCursor: null };
    const limit = Math.min(Math.max(Number(query.limit ?? 20) || 20, 1), 100);
    const cursor = query.cursor ? decodeIncidentCursor(query.cursor) : undefined;
    const after = cursor ? { startedAt: new Date(cursor.startedAt), id: cursor.id } : undefined;
    const where: Prisma.IncidentWhereInput = {
      clientId,
      expiresAt: { gt: new Date() },
      ...(query.camera ? { cameraKey: query.camera } : {}),
      ...(query.risk ? { riskLevel: { in: RISK_ORDER.slice(RISK_ORDER.indexOf(query.risk)) } } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.from || query.to
        ? {
            startedAt: {
              ...(query.from ? { gte: new Date(query.from) } : {}),
              ...(query.to ? { lte: new Date(query.to) } : {}),
            },
          }
        : {}),
      ...(after
        ? {
            OR: [
              { startedAt: { lt: after.startedAt } },
              ...(isUuid(after.id) ? [{ startedAt: after.startedAt, id: { lt: after.id } }] : []),
            ],
          }
        : {}),
    };
    const rows = await this.prisma.incident.findMany({
      where,
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const incidents = rows.slice(0, limit).map(toIncident);
    const last = incidents[incidents.length - 1];
    return { incidents, nextCursor: rows.length > limit && last ? encodeIncidentCursor(last) : null };
  }

  async get(tenant: string, id: string): Promise<IncidentRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined || !isUuid(id)) return null;
    const row = await this.prisma.incident.findFirst({ where: { id, clientId, expiresAt: { gt: new Date() } } });
    return row ? toIncident(row) : null;
  }

  async findByKey(tenant: string, idempotencyKey: string): Promise<IncidentRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return null;
    const row = await this.prisma.incident.findFirst({
      where: { clientId, idempotencyKey, expiresAt: { gt: new Date() } },
    });
    return row ? toIncident(row) : null;
  }

  async acknowledge(tenant: string, id: string, at: Date = new Date()): Promise<IncidentRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined || !isUuid(id)) return null;
    // The first acknowledgement's time stays.
    await this.prisma.incident.updateMany({
      where: { id, clientId, acknowledgedAt: null },
      data: { acknowledgedAt: at, updatedAt: new Date() },
    });
    return this.get(tenant, id);
  }

  /** Incidents of one camera started since `since` (the cameras' `incidentsToday`), per camera key. */
  async countSince(clientId: number, since: Date): Promise<Map<string, number>> {
    const groups = await this.prisma.incident.groupBy({
      by: ['cameraKey'],
      where: { clientId, startedAt: { gte: since }, expiresAt: { gt: new Date() } },
      _count: { _all: true },
    });
    return new Map(groups.map((g) => [g.cameraKey, g._count._all]));
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    return (await this.prisma.incident.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  }

  async erase(tenant: string): Promise<number> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return 0;
    return (await this.prisma.incident.deleteMany({ where: { clientId } })).count;
  }

  private async mutate(
    tenant: string,
    idempotencyKey: string,
    data: Prisma.IncidentUpdateManyMutationInput,
  ): Promise<IncidentRecord | null> {
    const clientId = parseIntId(tenant);
    if (clientId === undefined) return null;
    const { count } = await this.prisma.incident.updateMany({
      where: { clientId, idempotencyKey, expiresAt: { gt: new Date() } },
      data: { ...data, updatedAt: new Date() },
    });
    return count > 0 ? this.findByKey(tenant, idempotencyKey) : null;
  }

  private patchData(p: IncidentPatch): Prisma.IncidentUpdateManyMutationInput & { endedAt?: Date } {
    const d: Prisma.IncidentUpdateManyMutationInput & { endedAt?: Date } = {};
    if (p.endedAt !== undefined) d.endedAt = new Date(p.endedAt);
    if (p.riskLevel !== undefined) d.riskLevel = p.riskLevel;
    if (p.incidentType !== undefined) d.incidentType = p.incidentType;
    if (p.summary !== undefined) d.analysis = p.summary;
    if (p.screen !== undefined) d.screen = this.json(p.screen) ?? Prisma.DbNull;
    if (p.confirm !== undefined) d.confirm = this.json(p.confirm) ?? Prisma.DbNull;
    if (p.clipArtifactId !== undefined) d.clipArtifactId = p.clipArtifactId;
    if (p.thumbnailArtifactId !== undefined) d.thumbnailArtifactId = p.thumbnailArtifactId;
    if (p.status !== undefined) d.status = p.status;
    return d;
  }

  private json(v: object | null | undefined): JsonIn | undefined {
    return v ? (v as Prisma.InputJsonValue) : undefined;
  }
}
