import {
  AlertLanguage,
  CameraState,
  DEFAULT_ALERT_THRESHOLD,
  IncidentStatus,
  IncidentType,
  parseRiskLevel,
  RiskLevel,
  type CameraRecord,
  type ConfirmVerdict,
  type IncidentDelivery,
  type IncidentRecord,
  type StageVerdict,
} from '@vigint/contracts';
import type {
  AlertRow,
  AlertRowState,
  ApiCallRecord,
  ApiKeyRecord,
  ArtifactRecord,
  AuditRecord,
  ClientRecord,
} from './db.types';
import type { Alert, ApiKey, ApiUsage, Artifact, AuditLog, Camera, Client, Incident } from './generated/prisma/client';

// Prisma rows → plain records: integer and bigint ids become strings, bigint sizes become numbers.

export function toClientRecord(row: Client): ClientRecord {
  return {
    id: String(row.id),
    name: row.name,
    email: row.email ?? '',
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
    revokeReason: row.revokeReason === 'key' || row.revokeReason === 'client' ? row.revokeReason : null,
  };
}

export function toCamera(row: Camera, incidentsToday: number): CameraRecord {
  return {
    id: row.cameraKey,
    name: row.name,
    state: (Object.values(CameraState) as string[]).includes(row.state)
      ? (row.state as CameraState)
      : CameraState.Connecting,
    lastFrameAt: iso(row.lastFrameAt),
    lastHeartbeatAt: iso(row.lastHeartbeatAt),
    snoozedUntil: iso(row.snoozedUntil),
    alertThreshold: parseRiskLevel(row.alertThreshold) ?? DEFAULT_ALERT_THRESHOLD,
    incidentsToday,
  };
}

export function toIncident(row: Incident): IncidentRecord {
  return {
    id: row.id,
    idempotencyKey: row.idempotencyKey,
    cameraId: row.cameraKey,
    cameraName: row.cameraName,
    startedAt: row.startedAt.toISOString(),
    endedAt: iso(row.endedAt),
    detectedAt: row.detectedAt.toISOString(),
    riskLevel: parseRiskLevel(row.riskLevel) ?? RiskLevel.None,
    incidentType: (Object.values(IncidentType) as string[]).includes(row.incidentType)
      ? (row.incidentType as IncidentType)
      : IncidentType.Other,
    summary: row.analysis,
    screen: (row.screen as StageVerdict | null) ?? null,
    confirm: (row.confirm as ConfirmVerdict | null) ?? null,
    clipArtifactId: row.clipArtifactId,
    thumbnailArtifactId: row.thumbnailArtifactId,
    deliveries: Array.isArray(row.deliveries) ? (row.deliveries as unknown as IncidentDelivery[]) : [],
    acknowledgedAt: iso(row.acknowledgedAt),
    status: row.status === IncidentStatus.Closed ? IncidentStatus.Closed : IncidentStatus.Open,
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toAlertRow(row: Alert): AlertRow {
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
    cameraId: row.cameraId,
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
