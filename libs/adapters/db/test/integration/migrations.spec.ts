import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, type TestDatabase } from '../../src/test-database';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../src/generated/prisma/client';
import { applyMigrations, readMigrations } from '../../src/migration-runner';

// Applies the hand-written SQL to a fresh database, then writes and reads back every column of every
// model through the generated client: a schema.prisma that drifts from the SQL (a missing column, a
// wrong type or name) fails here.

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase('migrations');
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

const t = (iso: string) => new Date(iso);

describe('migrations', () => {
  it('are recorded as Prisma records them, and a second run applies nothing', async () => {
    const files = await readMigrations();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query(
        'SELECT migration_name, checksum, applied_steps_count, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
      for (const [i, r] of rows.entries()) {
        expect(r.checksum).toBe(files[i]?.checksum);
        expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(r.applied_steps_count).toBe(1);
        expect(r.finished_at).toBeInstanceOf(Date);
        expect(r.rolled_back_at).toBeNull();
      }
    } finally {
      await c.end();
    }
    const again = await applyMigrations(db.url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(files.length);
  });

  it('round-trips every model and column through the generated client', async () => {
    const client = await prisma.client.create({
      data: { name: 'Acme', email: 'ops@acme.test', language: 'fr', createdAt: t('2026-01-02T03:04:05.678Z') },
    });
    expect(await prisma.client.findUniqueOrThrow({ where: { id: client.id } })).toEqual({
      id: client.id,
      name: 'Acme',
      email: 'ops@acme.test',
      language: 'fr',
      createdAt: t('2026-01-02T03:04:05.678Z'),
    });

    const keyData = {
      keyHash: 'a'.repeat(64),
      name: 'site-1',
      isActive: false,
      createdAt: t('2026-01-02T00:00:00.001Z'),
      lastUsedAt: t('2026-01-03T00:00:00.002Z'),
      revokedAt: t('2026-01-04T00:00:00.003Z'),
      revokeReason: 'key',
      clientId: client.id,
    };
    const key = await prisma.apiKey.create({ data: keyData });
    expect(await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toEqual({ id: key.id, ...keyData });

    const camData = {
      clientId: client.id,
      cameraKey: 'door-1',
      name: 'door',
      state: 'live',
      lastFrameAt: t('2026-01-05T00:00:01.000Z'),
      lastHeartbeatAt: t('2026-01-05T00:00:02.000Z'),
      snoozedUntil: t('2026-01-05T00:15:00.000Z'),
      alertThreshold: 'HIGH',
      expiresAt: t('2026-01-08T00:00:00.000Z'),
      createdAt: t('2026-01-05T00:00:00.000Z'),
    };
    const cam = await prisma.camera.create({ data: camData });
    expect(cam.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await prisma.camera.findUniqueOrThrow({ where: { id: cam.id } })).toEqual({ id: cam.id, ...camData });

    const incData = {
      id: '11111111-2222-4333-8444-555555555555',
      clientId: client.id,
      idempotencyKey: 'door-1-1767657600100',
      cameraId: cam.id,
      cameraKey: 'door-1',
      cameraName: 'door',
      startedAt: t('2026-01-06T00:00:00.100Z'),
      endedAt: t('2026-01-06T00:00:10.200Z'),
      detectedAt: t('2026-01-06T00:00:02.000Z'),
      riskLevel: 'HIGH',
      incidentType: 'intrusion',
      analysis: 'Une personne escalade la clôture',
      confidence: 0.875,
      model: 'gemini-2.5-flash',
      phash: '0123456789abcdef',
      screen: { model: 'flash-lite', incident: true },
      confirm: { model: 'flash', vetoed: false },
      clipArtifactId: 'clip-1',
      thumbnailArtifactId: 'thumb-1',
      deliveries: [{ channel: 'email', status: 'sent', at: '2026-01-06T00:00:20.000Z', attempt: 1 }],
      acknowledgedAt: t('2026-01-06T01:00:00.000Z'),
      status: 'closed',
      expiresAt: t('2026-01-09T00:00:00.000Z'),
      createdAt: t('2026-01-06T00:00:11.000Z'),
      updatedAt: t('2026-01-06T00:00:12.000Z'),
    };
    await prisma.incident.create({ data: incData });
    expect(await prisma.incident.findUniqueOrThrow({ where: { id: incData.id } })).toEqual(incData);

    const alertData = {
      id: '21111111-2222-4333-8444-555555555555',
      incidentId: incData.id,
      clientId: client.id,
      idempotencyKey: 'incident-1',
      status: 'delivered',
      attempts: 3,
      providerMessageId: '<abc@mail>',
      recipient: 'ops@acme.test',
      phash: 'fedcba9876543210',
      sceneHashes: ['fedcba9876543210', '0011223344556677'],
      cameraName: 'door',
      cameraId: 'door-1',
      occurredAt: t('2026-01-06T00:00:05.000Z'),
      leaseUntil: t('2026-01-06T00:02:00.000Z'),
      lastError: 'smtp timeout',
      reason: 'same scene',
      duplicateOf: 'incident-0',
      sentAt: t('2026-01-06T00:01:00.000Z'),
      createdAt: t('2026-01-06T00:00:12.000Z'),
    };
    await prisma.alert.create({ data: alertData });
    expect(await prisma.alert.findUniqueOrThrow({ where: { id: alertData.id } })).toEqual(alertData);

    const artData = {
      id: '31111111-2222-4333-8444-555555555555',
      clientId: client.id,
      kind: 'video',
      storageKey: 'v1/abc',
      bytes: 5_000_000_000n, // above 2^32: the column must be BIGINT
      sha256: 'b'.repeat(64),
      mime: 'video/mp4',
      filename: 'clip.mp4',
      expiresAt: t('2026-01-09T00:00:00.000Z'),
      createdAt: t('2026-01-06T00:00:13.000Z'),
    };
    await prisma.artifact.create({ data: artData });
    expect(await prisma.artifact.findUniqueOrThrow({ where: { id: artData.id } })).toEqual(artData);

    const chunk = { storageKey: 'v1/abc', seq: 2, data: new Uint8Array([0, 1, 2, 255, 128]) };
    await prisma.artifactChunk.create({ data: chunk });
    const chunkBack = await prisma.artifactChunk.findUniqueOrThrow({
      where: { storageKey_seq: { storageKey: 'v1/abc', seq: 2 } },
    });
    expect(chunkBack.storageKey).toBe('v1/abc');
    expect(chunkBack.seq).toBe(2);
    expect(Buffer.from(chunkBack.data)).toEqual(Buffer.from([0, 1, 2, 255, 128]));

    const usageData = {
      apiKeyId: key.id,
      endpoint: '/api/video/analyze',
      method: 'POST',
      statusCode: 200,
      cost: 0.00125,
      inputTokens: 1234,
      outputTokens: 56,
      timestamp: t('2026-01-06T00:00:14.000Z'),
    };
    const usage = await prisma.apiUsage.create({ data: usageData });
    expect(typeof usage.id).toBe('bigint');
    expect(await prisma.apiUsage.findUniqueOrThrow({ where: { id: usage.id } })).toEqual({
      id: usage.id,
      ...usageData,
    });

    const dailyData = {
      apiKeyId: key.id,
      day: t('2026-01-06T00:00:00.000Z'),
      endpoint: '/api/video/analyze',
      calls: 7,
      aiRequests: 3,
      inputTokens: 3_000_000_000n,
      outputTokens: 4_000_000_000n,
      bytesIn: 6_000_000_000n,
      bytesOut: 7_000_000_000n,
      alertsSent: 2,
    };
    const daily = await prisma.usageDaily.create({ data: dailyData });
    expect(await prisma.usageDaily.findUniqueOrThrow({ where: { id: daily.id } })).toEqual({
      id: daily.id,
      ...dailyData,
    });

    const auditData = {
      clientId: client.id,
      apiKeyId: key.id,
      action: 'download',
      target: `artifact:${artData.id}`,
      ip: '203.0.113.7',
      at: t('2026-01-06T00:02:00.000Z'),
    };
    const audit = await prisma.auditLog.create({ data: auditData });
    expect(await prisma.auditLog.findUniqueOrThrow({ where: { id: audit.id } })).toEqual({
      id: audit.id,
      ...auditData,
    });
  });

  it('fills the database-side defaults the schema declares', async () => {
    const client = await prisma.client.create({ data: { name: 'Defaults', email: 'd@x.test' } });
    expect(client.language).toBe('en');
    expect(client.createdAt).toBeInstanceOf(Date);
    const key = await prisma.apiKey.create({ data: { keyHash: 'c'.repeat(64), clientId: client.id } });
    expect(key).toMatchObject({ name: 'default', isActive: true, lastUsedAt: null, revokedAt: null });
    const alert = await prisma.alert.create({ data: { clientId: client.id, idempotencyKey: 'k-defaults' } });
    expect(alert).toMatchObject({ status: 'sending', attempts: 0, incidentId: null, sentAt: null, sceneHashes: [] });
    expect(alert.occurredAt).toBeInstanceOf(Date);
    const daily = await prisma.usageDaily.create({
      data: { apiKeyId: key.id, day: new Date('2026-02-01'), endpoint: '/x' },
    });
    expect(daily).toMatchObject({ calls: 0, aiRequests: 0, inputTokens: 0n, bytesOut: 0n, alertsSent: 0 });
  });

  it('enforces the unique constraints the schema declares', async () => {
    const client = await prisma.client.create({ data: { name: 'U', email: 'u@x.test' } });
    await expect(prisma.client.create({ data: { name: 'U2', email: 'u@x.test' } })).rejects.toMatchObject({
      code: 'P2002',
    });
    await prisma.camera.create({ data: { clientId: client.id, cameraKey: 'cam', name: 'cam' } });
    // Names may repeat (two cameras called alike); the agent's camera id may not.
    await prisma.camera.create({ data: { clientId: client.id, cameraKey: 'cam-2', name: 'cam' } });
    await expect(
      prisma.camera.create({ data: { clientId: client.id, cameraKey: 'cam', name: 'other' } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    const inc = { clientId: client.id, idempotencyKey: 'k', startedAt: new Date(), detectedAt: new Date() };
    await prisma.incident.create({ data: { ...inc, riskLevel: 'HIGH', incidentType: 'other' } });
    await expect(
      prisma.incident.create({ data: { ...inc, riskLevel: 'LOW', incidentType: 'other' } }),
    ).rejects.toMatchObject({ code: 'P2002' });
    await prisma.alert.create({ data: { clientId: client.id, idempotencyKey: 'dup' } });
    await expect(prisma.alert.create({ data: { clientId: client.id, idempotencyKey: 'dup' } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });
});
