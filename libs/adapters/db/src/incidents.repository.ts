import { isUuid, parseIntId, requireIntId } from './db-ids';
import { toIncidentRecord } from './db.mappers';
import type { IncidentRecord } from './db.types';
import type { PrismaClient } from './generated/prisma/client';

export interface CreateIncidentInput {
  /** Caller-chosen id (e.g. the alert's idempotency key when it is a UUID); generated when absent. */
  id?: string;
  clientId: string;
  cameraId?: string | null;
  startedAt: Date;
  endedAt?: Date | null;
  riskLevel: string;
  incidentType: string;
  analysis?: string;
  confidence?: number | null;
  model?: string | null;
  phash?: string | null;
}

export class IncidentsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: CreateIncidentInput): Promise<IncidentRecord> {
    const row = await this.prisma.incident.create({
      data: {
        id: input.id,
        clientId: requireIntId(input.clientId, 'client'),
        cameraId: input.cameraId ?? null,
        startedAt: input.startedAt,
        endedAt: input.endedAt ?? null,
        riskLevel: input.riskLevel,
        incidentType: input.incidentType,
        analysis: input.analysis ?? '',
        confidence: input.confidence ?? null,
        model: input.model ?? null,
        phash: input.phash ?? null,
      },
    });
    return toIncidentRecord(row);
  }

  /** Scoped to the client: another client's incident id answers null. */
  async findForClient(clientId: string, id: string): Promise<IncidentRecord | null> {
    const cid = parseIntId(clientId);
    if (cid === undefined || !isUuid(id)) return null;
    const row = await this.prisma.incident.findFirst({ where: { id, clientId: cid } });
    return row ? toIncidentRecord(row) : null;
  }

  async listForClient(clientId: string, limit = 100): Promise<IncidentRecord[]> {
    const cid = parseIntId(clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.incident.findMany({
      where: { clientId: cid },
      orderBy: { startedAt: 'desc' },
      take: limit,
    });
    return rows.map(toIncidentRecord);
  }
}
