import { generateApiKey, hashApiKey } from './api-key.util';
import { parseIntId, requireIntId } from './db-ids';
import { toApiKeyRecord, toClientRecord } from './db.mappers';
import type { ApiKeyRecord, ClientRecord } from './db.types';
import type { PrismaClient } from './generated/prisma/client';

export interface ActiveApiKey {
  key: ApiKeyRecord;
  client: ClientRecord;
}

export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * The active key with this SHA-256 hex, with its client. The lookup is by a unique index on the hash
   * (an equality on a digest of a secret leaks nothing useful through timing); null when unknown or revoked.
   */
  async findActiveByHash(keyHash: string): Promise<ActiveApiKey | null> {
    if (!/^[0-9a-f]{64}$/.test(keyHash)) return null;
    const row = await this.prisma.apiKey.findUnique({ where: { keyHash }, include: { client: true } });
    if (!row || !row.isActive) return null;
    return { key: toApiKeyRecord(row), client: toClientRecord(row.client) };
  }

  /** Adds a key to a client; the plaintext is returned once. */
  async create(
    clientId: string,
    options: { name?: string } = {},
  ): Promise<{ apiKey: ApiKeyRecord; plaintextKey: string }> {
    const plaintextKey = generateApiKey();
    const row = await this.prisma.apiKey.create({
      data: {
        clientId: requireIntId(clientId, 'client'),
        keyHash: hashApiKey(plaintextKey),
        name: options.name ?? 'default',
      },
    });
    return { apiKey: toApiKeyRecord(row), plaintextKey };
  }

  /**
   * Stores an already-hashed key (import of the earlier system's api_keys), keeping its id when given.
   * Existing hash → unchanged, returned as it is.
   */
  async importHashed(input: {
    legacyId?: number;
    clientId: string;
    keyHash: string;
    name?: string;
    isActive?: boolean;
    createdAt?: Date;
    lastUsedAt?: Date | null;
  }): Promise<ApiKeyRecord> {
    const keyHash = input.keyHash.toLowerCase();
    await this.prisma.apiKey.createMany({
      data: [
        {
          ...(input.legacyId !== undefined ? { id: input.legacyId } : {}),
          clientId: requireIntId(input.clientId, 'client'),
          keyHash,
          name: input.name ?? 'imported',
          isActive: input.isActive ?? true,
          createdAt: input.createdAt,
          lastUsedAt: input.lastUsedAt ?? null,
        },
      ],
      skipDuplicates: true,
    });
    if (input.legacyId !== undefined) {
      await this.prisma
        .$executeRaw`SELECT setval(pg_get_serial_sequence('api_keys', 'id'), GREATEST((SELECT max(id) FROM api_keys), 1))`;
    }
    const row = await this.prisma.apiKey.findUniqueOrThrow({ where: { keyHash } });
    return toApiKeyRecord(row);
  }

  async listForClient(clientId: string): Promise<ApiKeyRecord[]> {
    const n = parseIntId(clientId);
    if (n === undefined) return [];
    const rows = await this.prisma.apiKey.findMany({ where: { clientId: n }, orderBy: { id: 'asc' } });
    return rows.map(toApiKeyRecord);
  }

  /** Deactivates every active key of the client; returns how many changed. */
  async revokeAllForClient(clientId: string, at: Date = new Date()): Promise<number> {
    const n = parseIntId(clientId);
    if (n === undefined) return 0;
    const { count } = await this.prisma.apiKey.updateMany({
      where: { clientId: n, isActive: true },
      data: { isActive: false, revokedAt: at },
    });
    return count;
  }

  /** Reactivates every inactive key of the client; returns how many changed. */
  async reactivateAllForClient(clientId: string): Promise<number> {
    const n = parseIntId(clientId);
    if (n === undefined) return 0;
    const { count } = await this.prisma.apiKey.updateMany({
      where: { clientId: n, isActive: false },
      data: { isActive: true, revokedAt: null },
    });
    return count;
  }

  async touchLastUsed(keyId: string, at: Date = new Date()): Promise<void> {
    const n = parseIntId(keyId);
    if (n === undefined) return;
    await this.prisma.apiKey.updateMany({ where: { id: n }, data: { lastUsedAt: at } });
  }
}
