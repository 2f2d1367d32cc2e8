import type { CameraNotice, DeliveryResult } from './backend';

/** One line of the exit summary: an alert sent (or not), a camera notice, or a follow-up recorded with an incident. */
export interface AlertRecord {
  kind: 'incident' | 'follow_up' | CameraNotice['kind'];
  cameraId: string;
  /** `recorded`: a follow-up stored with its incident (no e-mail). */
  status: DeliveryResult['status'] | 'recorded';
  destination: string;
  detail?: string;
  idempotencyKey: string;
  /** Seconds on the camera timeline: event start, and the clip range. */
  eventStart?: number;
  clipRange?: [number, number];
  /** Wall-clock ms from the first motion frame of the event to the alert written/sent. */
  latencyMs?: number;
  riskLevel?: string;
}

export interface CameraStats {
  framesRead: number;
  motionFrames: number;
  /** Calls to backend.analyze (each may be 0-2 model calls). */
  analyses: number;
  /** Model calls made (screen + confirm), from AnalysisResult.ai_calls; offline analyses count 0. */
  aiCalls: number;
  /** Samples the fixed 2 s cadence would have sent that the scene memory held back (nothing new in the scene). */
  skipped: number;
  incidents: number;
  alerts: AlertRecord[];
  errors: number;
}

export function emptyStats(): CameraStats {
  return { framesRead: 0, motionFrames: 0, analyses: 0, aiCalls: 0, skipped: 0, incidents: 0, alerts: [], errors: 0 };
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
