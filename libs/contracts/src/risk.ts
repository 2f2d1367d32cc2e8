import { Type, type Static } from '@sinclair/typebox';

export enum RiskLevel {
  None = 'NONE',
  Low = 'LOW',
  Medium = 'MEDIUM',
  High = 'HIGH',
  Critical = 'CRITICAL',
}

export const RISK_ORDER: readonly RiskLevel[] = [
  RiskLevel.None,
  RiskLevel.Low,
  RiskLevel.Medium,
  RiskLevel.High,
  RiskLevel.Critical,
];

/** True when `level` is at or above `threshold`. */
export function riskAtLeast(level: RiskLevel, threshold: RiskLevel): boolean {
  return RISK_ORDER.indexOf(level) >= RISK_ORDER.indexOf(threshold);
}

/** Reads a risk level leniently (the earlier callers sent `high`, `High`...). Unknown → undefined. */
export function parseRiskLevel(value: unknown): RiskLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const up = value.trim().toUpperCase();
  return (RISK_ORDER as readonly string[]).includes(up) ? (up as RiskLevel) : undefined;
}

export const RiskLevelSchema = Type.Enum(RiskLevel, { $id: 'RiskLevel' });

export enum IncidentType {
  Theft = 'theft',
  Intrusion = 'intrusion',
  Violence = 'violence',
  Fall = 'fall',
  Vandalism = 'vandalism',
  FireSmoke = 'fire_smoke',
  Other = 'other',
  None = 'none',
}
export const IncidentTypeSchema = Type.Enum(IncidentType, { $id: 'IncidentType' });

export enum AlertLanguage {
  En = 'en',
  Fr = 'fr',
}
export const AlertLanguageSchema = Type.Enum(AlertLanguage);

export enum BufferType {
  Short = 'short',
  Long = 'long',
}

export enum VideoFormat {
  Mp4 = 'mp4',
  Webm = 'webm',
}
export const VideoFormatSchema = Type.Enum(VideoFormat);

export type RiskLevelValue = Static<typeof RiskLevelSchema>;
