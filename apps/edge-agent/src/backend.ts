import type {
  AlertLanguage,
  AnalysisResult,
  BufferType,
  CameraHeartbeat,
  CameraState,
  IncidentOpen,
  Polygon,
  RiskLevel,
} from '@vigint/contracts';
import { summaryOf, verdictsOf } from '@vigint/alerting';

/**
 * The seam between the agent's per-camera loop and whatever analyses and delivers incidents.
 * `LocalBackend` (local-backend.ts) calls the processing-core libs in-process; `RemoteBackend`
 * (src/remote/, distributed mode, API_SERVER_URL set) calls the gateway through @vigint/api-client.
 * main.ts picks one. The pipeline never knows which.
 */

/** Frames for one analysis call. Images are full-size JPEGs; the backend applies `masks` before any byte leaves. */
export interface AnalyzeRequest {
  cameraId: string;
  cameraName: string;
  /** Sampled frames for the screening stage (short buffer), oldest first. */
  frames: Buffer[];
  /** Frames of the last ~10 s for the confirming stage (long buffer), oldest first. */
  longFrames?: Buffer[];
  bufferType: BufferType;
  language: AlertLanguage;
  /** Privacy masks, normalised polygons: blacked out in every image that leaves the agent. */
  masks: Polygon[];
  signal?: AbortSignal;
}

/** One event that reached the camera's threshold; `idempotencyKey` makes a retried delivery mail once. */
export interface Incident {
  /** Stable for this event: `${cameraId}-${startedAt epoch ms}`; safe as a job id (no ':'). */
  idempotencyKey: string;
  cameraId: string;
  cameraName: string;
  /** When motion started (the event start), and when the post-roll ended. */
  startedAt: Date;
  endedAt: Date;
  /** When the analysis that opened the incident returned. */
  detectedAt: Date;
  riskLevel: RiskLevel;
  analysis: AnalysisResult;
  /** One masked JPEG of the event (the frame the AI rated highest, or the last sampled one). */
  snapshot?: Buffer;
  /** Privacy masks of the camera, for backends that must re-mask anything they derive from the clip. */
  masks: Polygon[];
  language: AlertLanguage;
  /** Set when the clip could not be made: the alert goes without it (with the snapshot) and says so. */
  clipError?: string;
}

export type DeliveryStatus = 'sent' | 'duplicate' | 'suppressed' | 'queued' | 'failed';

export interface DeliveryResult {
  status: DeliveryStatus;
  /** Where the alert went, for the exit summary: an .eml path, `smtp:<recipients>`, `gateway:<url>`, `outbox:<file>`. */
  destination: string;
  messageId?: string;
  /** Why it was suppressed or failed (cooldown, duplicate, error message). */
  detail?: string;
  /** Size of the clip as sent (after compression, if any). */
  clipBytes?: number;
}

/** Camera health notices: one "offline" after the offline delay, one "online" when frames come back. */
export interface CameraNotice {
  kind: 'camera_offline' | 'camera_online';
  cameraId: string;
  cameraName: string;
  /** When the notice is raised (the alert time). */
  at: Date;
  /** When the outage began (the last frame before it); absent for notices from older callers. */
  outageStartedAt?: Date;
  /** Seconds without frames (offline) or the outage length (online). */
  seconds: number;
  idempotencyKey: string;
  /** The camera's language: the notice is written in it. */
  language?: AlertLanguage;
}

/**
 * What is known of an incident when it opens (announce, at confirm time): no end, no clip yet; the masked
 * snapshot and the language for the first notice.
 */
export type OpeningIncident = Pick<
  Incident,
  'idempotencyKey' | 'cameraId' | 'cameraName' | 'startedAt' | 'detectedAt' | 'riskLevel' | 'analysis'
> &
  Partial<Pick<Incident, 'snapshot' | 'language'>>;

/** One camera's state for the heartbeat (GET /api/cameras in distributed mode, the file store in local mode). */
export interface CameraStatus {
  cameraId: string;
  cameraName: string;
  state: CameraState;
  lastFrameAt: Date | null;
  alertThreshold: RiskLevel;
}

export interface IncidentBackend {
  readonly mode: 'local' | 'remote';
  /** Short human description for the start-up line, e.g. "local (offline analyzer, .eml → ./outbox)". */
  describe(): string;
  analyze(req: AnalyzeRequest): Promise<AnalysisResult>;
  /**
   * Sends one alert for `incident` with `clipFile` (an mp4 cut from the segments; the backend may compress it).
   * `clipFile` is undefined when the clip could not be made (`incident.clipError` says why): send anyway.
   */
  deliver(incident: Incident, clipFile: string | undefined): Promise<DeliveryResult>;
  /**
   * Records the incident as open the moment the event opens, that is when the confirming model said yes (local:
   * the file store; remote: POST /api/incidents under the same idempotency key as the alert), and sends the first
   * notice with the snapshot (local: FirstNoticeService; remote: the gateway queues it). Never throws: a failed
   * announce is logged, and the alert, when it goes out, records the incident anyway.
   */
  announce(incident: OpeningIncident): Promise<void>;
  /**
   * The event grew (a follow-up clip): the recorded end moves, no e-mail. Same rules as announce(). `clipFile` is
   * the latest cut, for backends that keep one.
   */
  update?(incident: Incident, clipFile?: string): Promise<void>;
  /** Every camera's state; call it about every 30 s and on a state change. Never throws. */
  heartbeat(cameras: CameraStatus[]): Promise<void>;
  /** Camera offline / back online alerts. */
  notify(notice: CameraNotice): Promise<DeliveryResult>;
  /** Waits for pending deliveries (remote outbox replay may keep some queued) and releases connections. */
  close(): Promise<void>;
}

/** One camera's heartbeat as both backends record it (the local file store, or POST /api/cameras/heartbeat). */
export function cameraBeatOf(c: CameraStatus): CameraHeartbeat {
  return {
    id: c.cameraId,
    name: c.cameraName,
    state: c.state,
    lastFrameAt: c.lastFrameAt?.toISOString() ?? null,
    alertThreshold: c.alertThreshold,
  };
}

/** The record both backends open when an incident starts (local file store, or the gateway's store). */
export function incidentOpenOf(incident: OpeningIncident): IncidentOpen {
  return {
    idempotencyKey: incident.idempotencyKey,
    cameraId: incident.cameraId,
    cameraName: incident.cameraName,
    startedAt: incident.startedAt.toISOString(),
    detectedAt: incident.detectedAt.toISOString(),
    riskLevel: incident.riskLevel,
    incidentType: incident.analysis.incident_type,
    summary: summaryOf(incident.analysis),
    ...verdictsOf(incident.analysis),
  };
}
