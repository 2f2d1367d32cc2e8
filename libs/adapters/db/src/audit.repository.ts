import { parseIntId } from './db-ids';
import { toAuditRecord } from './db.mappers';
import type { AuditAction, AuditRecord } from './db.types';
import type { PrismaClient } from './generated/prisma/client';

export interface AuditEntry {
  clientId?: string | null;
  apiKeyId?: string | null;
  action: AuditAction;
  /** What was acted on, e.g. `artifact:<id>`. */
  target?: string | null;
  ip?: string | null;
  at?: Date;
}

/** Who downloaded, viewed or deleted what. */
export class AuditRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async log(entry: AuditEntry): Promise<void> {
    await this.prisma.auditLog.create({
      data: {
        clientId: entry.clientId ? (parseIntId(entry.clientId) ?? null) : null,
        apiKeyId: entry.apiKeyId ? (parseIntId(entry.apiKeyId) ?? null) : null,
        action: entry.action,
        target: entry.target ?? null,
        ip: entry.ip ?? null,
        at: entry.at,
      },
    });
  }

  async listForClient(clientId: string, limit = 100): Promise<AuditRecord[]> {
    const cid = parseIntId(clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.auditLog.findMany({
      where: { clientId: cid },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return rows.map(toAuditRecord);
  }
}
