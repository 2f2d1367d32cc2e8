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

  /** Disables every active key of the client, with the client (reactivate can undo it); returns how many changed. */
  async revokeAllForClient(clientId: string, at: Date = new Date()): Promise<number> {
    const n = parseIntId(clientId);
    if (n === undefined) return 0;
    const { count } = await this.prisma.apiKey.updateMany({
      where: { clientId: n, isActive: true },
      data: { isActive: false, revokedAt: at, revokeReason: 'client' },
    });
    return count;
  }

  /**
   * Re-enables the keys that were disabled with the client, never one revoked on its own (a leaked key
   * stays dead: issue a new one instead); returns how many changed.
   */
  async reactivateAllForClient(clientId: string): Promise<number> {
    const n = parseIntId(clientId);
    if (n === undefined) return 0;
    const { count } = await this.prisma.apiKey.updateMany({
      where: { clientId: n, isActive: false, revokeReason: 'client' },
      data: { isActive: true, revokedAt: null, revokeReason: null },
    });
    return count;
  }

  /** Revokes one key of the client for good; false when the client has no such key (or it was already revoked). */
  async revokeOne(clientId: string, keyId: string, at: Date = new Date()): Promise<boolean> {
    const c = parseIntId(clientId);
    const k = parseIntId(keyId);
    if (c === undefined || k === undefined) return false;
    const { count } = await this.prisma.apiKey.updateMany({
      // revoke_reason is NULL on live keys: `NOT = 'key'` alone would skip them (SQL NULL logic).
      where: { id: k, clientId: c, OR: [{ revokeReason: null }, { revokeReason: { not: 'key' } }] },
      data: { isActive: false, revokedAt: at, revokeReason: 'key' },
    });
    return count > 0;
  }

  /** The key of this id when it belongs to the client. */
  async findForClient(clientId: string, keyId: string): Promise<ApiKeyRecord | null> {
    const c = parseIntId(clientId);
    const k = parseIntId(keyId);
    if (c === undefined || k === undefined) return null;
    const row = await this.prisma.apiKey.findFirst({ where: { id: k, clientId: c } });
    return row ? toApiKeyRecord(row) : null;
  }

  /**
   * The built-in client of a server-held key (`SECRET_KEY`, the earlier installs' shared key): its own
   * client named `clientName` with no e-mail (alerts go to EMAIL_TO), created once with the key row under
   * a transaction-scoped advisory lock, so concurrent first calls on several gateways make one client.
   * Never bound to an existing client. Returns the key whatever its state (a revoked one stays revoked).
   */
  async ensureBuiltIn(keyHash: string, clientName: string, keyName: string): Promise<ApiKeyRecord> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`vigint-builtin-key:${keyHash}`}))`;
      const existing = await tx.apiKey.findUnique({ where: { keyHash } });
      if (existing) return toApiKeyRecord(existing);
      const client = await tx.client.create({ data: { name: clientName, email: null } });
      const row = await tx.apiKey.create({ data: { clientId: client.id, keyHash, name: keyName } });
      return toApiKeyRecord(row);
    });
  }

  async touchLastUsed(keyId: string, at: Date = new Date()): Promise<void> {
    const n = parseIntId(keyId);
    if (n === undefined) return;
    await this.prisma.apiKey.updateMany({ where: { id: n }, data: { lastUsedAt: at } });
  }
}
