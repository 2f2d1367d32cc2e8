import { AlertLanguage } from '@vigint/contracts';
import type {
  AlertRecord,
  AlertRowState,
  ApiCallRecord,
  ApiKeyRecord,
  ArtifactRecord,
  AuditRecord,
  CameraRecord,
  ClientRecord,
  IncidentRecord,
} from './db.types';
import type { Alert, ApiKey, ApiUsage, Artifact, AuditLog, Camera, Client, Incident } from './generated/prisma/client';

// Prisma rows → plain records: integer and bigint ids become strings, bigint sizes become numbers.

export function toClientRecord(row: Client): ClientRecord {
  return {
    id: String(row.id),
    name: row.name,
    email: row.email,
    language: row.language === AlertLanguage.Fr ? AlertLanguage.Fr : AlertLanguage.En,
    createdAt: row.createdAt,
  };
}

export function toApiKeyRecord(row: ApiKey): ApiKeyRecord {
  return {
    id: String(row.id),
    clientId: String(row.clientId),
    name: row.name,
    isActive: row.isActive,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

export function toCameraRecord(row: Camera): CameraRecord {
  return { id: row.id, clientId: String(row.clientId), name: row.name, createdAt: row.createdAt };
}

export function toIncidentRecord(row: Incident): IncidentRecord {
  return {
    id: row.id,
    clientId: String(row.clientId),
    cameraId: row.cameraId,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    riskLevel: row.riskLevel,
    incidentType: row.incidentType,
    analysis: row.analysis,
    confidence: row.confidence,
    model: row.model,
    phash: row.phash,
    createdAt: row.createdAt,
  };
}

export function toAlertRecord(row: Alert): AlertRecord {
  return {
    id: row.id,
    incidentId: row.incidentId,
    clientId: String(row.clientId),
    idempotencyKey: row.idempotencyKey,
    status: row.status as AlertRowState,
    attempts: row.attempts,
    providerMessageId: row.providerMessageId,
    recipient: row.recipient,
    phash: row.phash,
    sceneHashes: row.sceneHashes ?? [],
    cameraName: row.cameraName,
    occurredAt: row.occurredAt,
    leaseUntil: row.leaseUntil,
    lastError: row.lastError,
    reason: row.reason,
    duplicateOf: row.duplicateOf,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
  };
}

export function toArtifactRecord(row: Artifact): ArtifactRecord {
  return {
    id: row.id,
    clientId: String(row.clientId),
    kind: row.kind,
    storageKey: row.storageKey,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    mime: row.mime,
    filename: row.filename,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

export function toApiCallRecord(row: ApiUsage): ApiCallRecord {
  return {
    id: String(row.id),
    apiKeyId: String(row.apiKeyId),
    endpoint: row.endpoint,
    method: row.method,
    statusCode: row.statusCode,
    cost: row.cost,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    timestamp: row.timestamp,
  };
}

export function toAuditRecord(row: AuditLog): AuditRecord {
  return {
    id: String(row.id),
    clientId: row.clientId === null ? null : String(row.clientId),
    apiKeyId: row.apiKeyId === null ? null : String(row.apiKeyId),
    action: row.action,
    target: row.target,
    ip: row.ip,
    at: row.at,
  };
}
