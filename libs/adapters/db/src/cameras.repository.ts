import { parseIntId, requireIntId } from './db-ids';
import { toCameraRecord } from './db.mappers';
import type { CameraRecord } from './db.types';
import type { PrismaClient } from './generated/prisma/client';

export class CamerasRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The client's camera with this name, created on first sight (race-safe on the unique (client, name)). */
  async ensure(clientId: string, name: string): Promise<CameraRecord> {
    const cid = requireIntId(clientId, 'client');
    // ON CONFLICT DO NOTHING then read: Prisma's upsert is not atomic for this shape (it can raise P2002).
    await this.prisma.camera.createMany({ data: [{ clientId: cid, name }], skipDuplicates: true });
    const row = await this.prisma.camera.findUniqueOrThrow({ where: { clientId_name: { clientId: cid, name } } });
    return toCameraRecord(row);
  }

  async listForClient(clientId: string): Promise<CameraRecord[]> {
    const cid = parseIntId(clientId);
    if (cid === undefined) return [];
    const rows = await this.prisma.camera.findMany({ where: { clientId: cid }, orderBy: { name: 'asc' } });
    return rows.map(toCameraRecord);
  }
}
