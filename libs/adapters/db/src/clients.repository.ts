import { AlertLanguage, AppError, ErrorCode } from '@vigint/contracts';
import { isUniqueViolation } from './db-error';
import { parseIntId, requireIntId } from './db-ids';
import type { ApiKeyRecord, ClientRecord, ClientWithKeys } from './db.types';
import { generateApiKey, hashApiKey } from './api-key.util';
import { toApiKeyRecord, toClientRecord } from './db.mappers';
import type { PrismaClient } from './generated/prisma/client';

export interface CreateClientInput {
  name: string;
  email: string;
  language?: AlertLanguage;
  /** Name of the first API key (default "default"). */
  keyName?: string;
}

export interface CreatedClient {
  client: ClientRecord;
  apiKey: ApiKeyRecord;
  /** The key itself: shown once, only its SHA-256 is stored. */
  plaintextKey: string;
}

/** Tenants. E-mails are stored trimmed and lower-cased, so uniqueness ignores case. */
export class ClientsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates the client and its first key in one transaction. Duplicate e-mail → AppError CONFLICT (field email). */
  async create(input: CreateClientInput): Promise<CreatedClient> {
    const plaintextKey = generateApiKey();
    try {
      const row = await this.prisma.client.create({
        data: {
          name: input.name,
          email: input.email.trim().toLowerCase(),
          language: input.language ?? AlertLanguage.En,
          apiKeys: { create: { keyHash: hashApiKey(plaintextKey), name: input.keyName ?? 'default' } },
        },
        include: { apiKeys: true },
      });
      const key = row.apiKeys[0];
      if (!key) throw new Error('client created without its key');
      return { client: toClientRecord(row), apiKey: toApiKeyRecord(key), plaintextKey };
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError(ErrorCode.Conflict, 'a client with this email already exists', { field: 'email' });
      }
      throw err;
    }
  }

  /** Finds a client by e-mail or creates it without any key (the built-in SECRET_KEY client). Race-safe. */
  async ensure(input: { name: string; email: string; language?: AlertLanguage }): Promise<ClientRecord> {
    const email = input.email.trim().toLowerCase();
    // ON CONFLICT DO NOTHING then read: Prisma's upsert is not atomic for this shape (it can raise P2002).
    await this.prisma.client.createMany({
      data: [{ name: input.name, email, language: input.language ?? AlertLanguage.En }],
      skipDuplicates: true,
    });
    const row = await this.prisma.client.findUniqueOrThrow({ where: { email } });
    return toClientRecord(row);
  }

  /**
   * Imports a client of the earlier system keeping its integer id (so imported keys and usage rows keep
   * pointing at it); an existing e-mail returns the existing client unchanged. Moves the id sequence past
   * the imported ids so later creates never collide.
   */
  async importClient(input: {
    legacyId?: number;
    name: string;
    email: string;
    language?: AlertLanguage;
    createdAt?: Date;
  }): Promise<ClientRecord> {
    const email = input.email.trim().toLowerCase();
    const existing = await this.prisma.client.findUnique({ where: { email } });
    if (existing) return toClientRecord(existing);
    const row = await this.prisma.$transaction(async (tx) => {
      const created = await tx.client.create({
        data: {
          ...(input.legacyId !== undefined ? { id: input.legacyId } : {}),
          name: input.name,
          email,
          language: input.language ?? AlertLanguage.En,
          createdAt: input.createdAt,
        },
      });
      await tx.$executeRaw`SELECT setval(pg_get_serial_sequence('clients', 'id'), GREATEST((SELECT max(id) FROM clients), 1))`;
      return created;
    });
    return toClientRecord(row);
  }

  async findById(id: string): Promise<ClientRecord | null> {
    const n = parseIntId(id);
    if (n === undefined) return null;
    const row = await this.prisma.client.findUnique({ where: { id: n } });
    return row ? toClientRecord(row) : null;
  }

  async findByEmail(email: string): Promise<ClientRecord | null> {
    const row = await this.prisma.client.findUnique({ where: { email: email.trim().toLowerCase() } });
    return row ? toClientRecord(row) : null;
  }

  /** Every client with its keys (no hashes), oldest first: GET /admin/clients. */
  async listWithKeys(): Promise<ClientWithKeys[]> {
    const rows = await this.prisma.client.findMany({
      orderBy: { id: 'asc' },
      include: { apiKeys: { orderBy: { id: 'asc' } } },
    });
    return rows.map((r) => ({ ...toClientRecord(r), apiKeys: r.apiKeys.map(toApiKeyRecord) }));
  }

  async update(
    id: string,
    data: { name?: string; email?: string; language?: AlertLanguage },
  ): Promise<ClientRecord | null> {
    const n = parseIntId(id);
    if (n === undefined) return null;
    try {
      const row = await this.prisma.client.update({
        where: { id: n },
        data: { ...data, email: data.email?.trim().toLowerCase() },
      });
      return toClientRecord(row);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError(ErrorCode.Conflict, 'a client with this email already exists', { field: 'email' });
      }
      if ((err as { code?: string }).code === 'P2025') return null;
      throw err;
    }
  }

  /**
   * Deletes the client and, by cascade, its keys, usage, cameras, incidents, alerts and artifact rows.
   * Artifact bytes live in the artifact store: remove them first (artifacts.deleteAllForClient).
   */
  async delete(id: string): Promise<boolean> {
    const n = requireIntId(id, 'client');
    const { count } = await this.prisma.client.deleteMany({ where: { id: n } });
    return count > 0;
  }

  /**
   * Erasure of what the client's footage said: incidents (analysis, verdicts, camera names, delivery log),
   * alerts (camera name, recipient, scene hashes) and notice deliveries, in one transaction. The client,
   * its keys, cameras, settings, usage counts and audit log stay.
   */
  async eraseRecords(clientId: string): Promise<{ incidents: number; alerts: number; notices: number }> {
    const cid = parseIntId(clientId);
    if (cid === undefined) return { incidents: 0, alerts: 0, notices: 0 };
    return this.prisma.$transaction(async (tx) => {
      const notices = await tx.noticeDelivery.deleteMany({ where: { clientId: cid } });
      const alerts = await tx.alert.deleteMany({ where: { clientId: cid } });
      const incidents = await tx.incident.deleteMany({ where: { clientId: cid } });
      return { incidents: incidents.count, alerts: alerts.count, notices: notices.count };
    });
  }
}
