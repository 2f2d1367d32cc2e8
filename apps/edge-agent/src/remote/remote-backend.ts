import {
  fileBlob,
  isApiError,
  VigintClient,
  wireIdempotencyKey,
  type AlertInput,
  type ApiError,
  type VigintClientOptions,
} from '@vigint/api-client';
import {
  BufferType,
  DeliveryState,
  type AlertLanguage,
  IncidentType,
  RiskLevel,
  type AlertReply,
  type AnalysisResult,
  type IncidentAnnounce,
} from '@vigint/contracts';
import { prepareAiFrames, remapFrameIndexes } from '@vigint/alerting';
import { cameraBeatOf, incidentOpenOf } from '../backend';
import type { ImageAdapter } from '@vigint/image';
import { redactUrl, silentLogger, type Logger } from '@vigint/logger';
import {
  type AnalyzeRequest,
  type CameraNotice,
  type CameraStatus,
  type OpeningIncident,
  type DeliveryResult,
  type DeliveryStatus,
  type Incident,
  type IncidentBackend,
} from '../backend';
import { defaultOutboxVerdict, DiskOutbox, type OutboxEntry, type OutboxOutcome } from './disk-outbox';

/**
 * The gateway took the alert but answered 207 `failed` (the mail job failed for a reason that may pass). Retried by
 * the outbox a few times (same idempotency key: one e-mail at most), then reported as failed.
 */
export class AlertNotDeliveredError extends Error {
  constructor(readonly reply: AlertReply) {
    super(`alert not delivered: ${reply.error ?? reply.status}`);
    this.name = 'AlertNotDeliveredError';
  }
}

export type RemoteAlertPayload =
  | {
      alert: Omit<AlertInput, 'video_data' | 'snapshot'>;
      /** The event's masked snapshot, base64 (kept in the outbox entry with the alert). */
      snapshot?: string;
    }
  /** An incident the agent mailed itself (failover): recorded at the gateway when it answers, no e-mail. */
  | { record: IncidentAnnounce };

/** What the gateway answered an outbox entry: the alert's reply, or `recorded` for a record entry. */
type RemoteReply = AlertReply | 'recorded';

export interface RemoteBackendOptions {
  client: VigintClient;
  /** For start-up lines and delivery destinations (shown redacted). */
  baseUrl: string;
  /** Outbox folder: `pending/`, `rejected/`, `tmp/` are made inside it. */
  outboxDir: string;
  /** Applies privacy masks and shrinks frames before they leave the agent (prepareAiFrames). */
  image: Pick<ImageAdapter, 'toAiJpeg' | 'applyMasks'>;
  log?: Logger;
  /**
   * Used when the gateway cannot be reached for an analysis (e.g. the offline analyzer of @vigint/alerting), so a
   * gateway outage still opens incidents, which then wait in the outbox. Absent: analyze() throws the ApiError.
   */
  fallbackAnalyze?(req: AnalyzeRequest, err: ApiError): Promise<AnalysisResult>;
  /** Client retries per alert attempt; the outbox does the long-term retrying. Default 1. */
  sendRetries?: number;
  /** Outbox attempts for an alert the gateway answered 207 `failed` before it counts as failed. Default 3. */
  failedAlertAttempts?: number;
  /** Outbox replay backoff. */
  replayBaseDelayMs?: number;
  replayMaxDelayMs?: number;
  /** How long close() waits for the outbox to empty. Default 10 s. */
  drainTimeoutMs?: number;
  /** Every alert that leaves the outbox (sent or rejected), including replays after an outage or a restart. */
  onDelivered?(idempotencyKey: string, result: DeliveryResult): void;
  /**
   * The cameras whose language the config file sets: only theirs is sent, so the gateway uses the client's
   * stored language for the others (the agent's own default, English, would otherwise override it).
   */
  camerasWithLanguage?: ReadonlySet<string>;
  /** Long side of the JPEGs sent for analysis. Default 768. */
  aiMaxSide?: number;
}

/**
 * Distributed mode: the gateway analyses (screening, then confirming on a hit, in the worker) and mails the alert.
 * Every alert goes through a disk outbox, so an unreachable gateway delays alerts instead of losing them.
 */
export class RemoteBackend implements IncidentBackend {
  readonly mode = 'remote' as const;
  private readonly outbox: DiskOutbox<RemoteAlertPayload, RemoteReply>;
  private readonly log: Logger;

  private constructor(private readonly opts: RemoteBackendOptions) {
    this.log = (opts.log ?? silentLogger).child({ module: 'remote-backend' });
    this.outbox = new DiskOutbox<RemoteAlertPayload, RemoteReply>({
      dir: opts.outboxDir,
      log: opts.log,
      baseDelayMs: opts.replayBaseDelayMs,
      maxDelayMs: opts.replayMaxDelayMs,
      send: (entry, signal) => this.sendEntry(entry, signal),
      probe: (signal) => opts.client.healthCheck({ signal, retries: 0 }),
      classify: (err) => (err instanceof AlertNotDeliveredError ? 'retry' : defaultOutboxVerdict(err)),
      onSettled: (outcome) => {
        // A record entry is no alert: its e-mail was counted when the agent sent it.
        if (!('record' in outcome.entry.payload))
          opts.onDelivered?.(outcome.entry.idempotencyKey, this.toDelivery(outcome));
      },
    });
  }

  /** Opens the outbox and starts replaying what an earlier run left in it. */
  static async open(opts: RemoteBackendOptions): Promise<RemoteBackend> {
    const backend = new RemoteBackend(opts);
    const pending = await backend.outbox.open();
    if (pending > 0)
      backend.log.info({ pending, dir: opts.outboxDir }, 'alerts from an earlier run are waiting in the outbox');
    return backend;
  }

  describe(): string {
    const pending = this.outbox.size;
    return `remote (gateway ${redactUrl(this.opts.baseUrl)}, outbox ${this.opts.outboxDir}${pending ? `, ${pending} pending` : ''})`;
  }

  /** Alerts waiting on disk for the gateway. */
  get pending(): number {
    return this.outbox.size;
  }

  async analyze(req: AnalyzeRequest): Promise<AnalysisResult> {
    // The frames local mode's AnalysisService would send (the last short ones to screen, six spread over the long
    // buffer to confirm), masked and encoded once here: the worker passes these bytes to the model as they are.
    const prepared = await prepareAiFrames(
      this.opts.image,
      { frames: req.frames, longFrames: req.longFrames, bufferType: req.bufferType, masks: req.masks },
      this.opts.aiMaxSide ? { maxSide: this.opts.aiMaxSide } : {},
    );
    try {
      const reply = await this.opts.client.analyzeFrame(
        {
          frames: prepared.screen,
          confirm_frames: prepared.confirm,
          frame_count: prepared.frameCount,
          buffer_type: BufferType.Short,
          language: this.languageFor(req.cameraId, req.language),
          camera_name: req.cameraName,
        },
        { signal: req.signal },
      );
      const { success: _success, job_id: _job, ...result } = reply;
      return remapFrameIndexes(result, prepared.selection);
    } catch (err) {
      if (isApiError(err) && err.transient && this.opts.fallbackAnalyze) {
        this.log.warn(
          { cameraId: req.cameraId, code: err.code, status: err.status },
          'gateway unreachable, analysing locally',
        );
        return this.opts.fallbackAnalyze(req, err);
      }
      throw err;
    }
  }

  async deliver(incident: Incident, clipFile: string | undefined): Promise<DeliveryResult> {
    const a = incident.analysis;
    const alert: Omit<AlertInput, 'video_data' | 'snapshot'> = {
      analysis: a.analysis || a.description,
      risk_level: incident.riskLevel,
      incident_type: a.incident_type,
      client_id: incident.cameraId,
      camera_name: incident.cameraName,
      use_server_buffer: false,
      video_filename: `${incident.idempotencyKey}.mp4`,
      frame_count: a.frame_count,
      detailed_analysis: a.detailed_analysis ?? null,
      ...(incident.clipError ? { clip_error: incident.clipError } : {}),
      language: this.languageFor(incident.cameraId, incident.language),
      occurred_at: incident.startedAt.toISOString(),
    };
    const outcome = await this.outbox.submit({
      idempotencyKey: incident.idempotencyKey,
      kind: 'incident',
      payload: { alert, ...(incident.snapshot ? { snapshot: incident.snapshot.toString('base64') } : {}) },
      file: clipFile,
    });
    return this.toDelivery(outcome);
  }

  /**
   * Records at the gateway an incident the agent already mailed (failover): `POST /api/incidents` with the delivery
   * done, under the incident's key, through the disk outbox (kept across restarts, sent when the gateway answers).
   * The gateway queues no e-mail for it. The clip goes with the entry, uploaded once the record is in, so the
   * console can play it as it plays the others.
   */
  async record(incident: Incident, clipFile: string | undefined, sent: DeliveryResult): Promise<DeliveryResult> {
    const detail = ['sent by the agent while the gateway was unreachable', sent.detail].filter(Boolean).join('; ');
    const record: IncidentAnnounce = {
      ...incidentOpenOf(incident),
      idempotencyKey: wireIdempotencyKey(incident.idempotencyKey),
      delivered: {
        endedAt: incident.endedAt.toISOString(),
        delivery: {
          channel: 'email',
          status: DELIVERY_STATE[sent.status],
          // Fixed here and stored with the entry: a replayed record logs this delivery once.
          at: new Date().toISOString(),
          attempt: 1,
          detail: detail.slice(0, 1000),
        },
      },
    };
    const outcome = await this.outbox.submit({
      idempotencyKey: incident.idempotencyKey,
      kind: 'record',
      payload: { record },
      file: clipFile,
    });
    return this.toDelivery(outcome);
  }

  async announce(incident: OpeningIncident): Promise<void> {
    const started = performance.now();
    try {
      // The snapshot (already masked) goes with the announce for the first notice, shrunk like the AI frames.
      const snapshot = incident.snapshot
        ? (await this.opts.image.toAiJpeg(incident.snapshot, { maxSide: this.opts.aiMaxSide ?? 768, masks: [] })).data
        : undefined;
      // The camera's language only when the config sets it, as for the alert; else the client's.
      const language = this.languageFor(incident.cameraId, incident.language);
      await this.opts.client.announceIncident(
        {
          ...incidentOpenOf(incident),
          // The alert's key as the gateway sees it, so the alert finds this record.
          idempotencyKey: wireIdempotencyKey(incident.idempotencyKey),
          ...(snapshot ? { snapshotJpeg: snapshot.toString('base64') } : {}),
          ...(language ? { language } : {}),
        },
        { retries: 1 },
      );
      // With its duration: the first notice's latency is the AI round trip plus this plus the worker's send.
      this.log.info(
        {
          cameraId: incident.cameraId,
          key: incident.idempotencyKey,
          durationMs: Math.round(performance.now() - started),
        },
        'incident announced',
      );
    } catch (err) {
      // The alert (outbox, replayed until the gateway takes it) records the incident too.
      this.log.warn({ err: errorText(err), key: incident.idempotencyKey }, 'could not announce the incident');
    }
  }

  /** The last reason the gateway gave for refusing a heartbeat, so it is warned about once, not every beat. */
  private heartbeatRefusal: string | undefined;

  async heartbeat(cameras: CameraStatus[]): Promise<void> {
    if (cameras.length === 0) return;
    try {
      await this.opts.client.sendHeartbeat(
        {
          cameras: cameras.slice(0, 64).map(cameraBeatOf),
        },
        { retries: 0 },
      );
      this.heartbeatRefusal = undefined;
    } catch (err) {
      // The gateway answered and refused (a camera quota, a bad field): worth a warning, once per reason; an
      // unreachable gateway is the failover's business.
      const refused = isApiError(err) && err.kind === 'http' && err.status !== undefined && err.status < 500;
      const text = errorText(err);
      if (refused && text !== this.heartbeatRefusal) this.log.warn({ err: text }, 'heartbeat refused by the gateway');
      else this.log.debug({ err: text }, 'heartbeat not delivered');
      if (refused) this.heartbeatRefusal = text;
    }
  }

  async notify(notice: CameraNotice): Promise<DeliveryResult> {
    const offline = notice.kind === 'camera_offline';
    // The worker writes it from the notice templates in the camera's language; `analysis` is for earlier gateways.
    const text = offline
      ? `Camera "${notice.cameraName}" has sent no frames for ${Math.round(notice.seconds)} s.`
      : `Camera "${notice.cameraName}" is back online after ${Math.round(notice.seconds)} s.`;
    const outcome = await this.outbox.submit({
      idempotencyKey: notice.idempotencyKey,
      kind: notice.kind,
      payload: {
        alert: {
          analysis: text,
          risk_level: offline ? RiskLevel.Medium : RiskLevel.Low,
          incident_type: IncidentType.Other,
          client_id: notice.cameraId,
          camera_name: notice.cameraName,
          use_server_buffer: false,
          notice: notice.kind,
          notice_seconds: notice.seconds,
          occurred_at: notice.at.toISOString(),
          ...(notice.outageStartedAt ? { outage_started_at: notice.outageStartedAt.toISOString() } : {}),
          ...(notice.language ? { language: this.languageFor(notice.cameraId, notice.language) } : {}),
        },
      },
    });
    return this.toDelivery(outcome);
  }

  /** Gives the outbox `drainTimeoutMs` to empty; what is left stays on disk and is replayed at the next start. */
  async close(): Promise<void> {
    const left = await this.outbox.drain(this.opts.drainTimeoutMs ?? 10_000);
    if (left > 0)
      this.log.warn({ pending: left, dir: this.opts.outboxDir }, 'alerts left in the outbox for the next start');
    await this.outbox.close();
  }

  private async sendEntry(entry: OutboxEntry<RemoteAlertPayload>, signal: AbortSignal): Promise<RemoteReply> {
    if ('record' in entry.payload) {
      const call = { signal, retries: this.opts.sendRetries ?? 1 };
      const recorded = await this.opts.client.announceIncident(entry.payload.record, call);
      if (entry.file && !recorded.clipArtifactId) await this.uploadClip(recorded.id, entry.file, call);
      return 'recorded';
    }
    const video = entry.file ? await fileBlob(entry.file, 'video/mp4') : undefined;
    const reply = await this.opts.client.sendSecurityAlert(
      {
        ...entry.payload.alert,
        video_data: video,
        ...(entry.payload.snapshot ? { snapshot: Buffer.from(entry.payload.snapshot, 'base64') } : {}),
      },
      { idempotencyKey: entry.idempotencyKey, retries: this.opts.sendRetries ?? 1, signal },
    );
    // 207 `queued`: the gateway's job keeps retrying the mail itself, so the entry is done here.
    if (!reply.success && reply.status === 'failed' && entry.attempts < (this.opts.failedAlertAttempts ?? 3)) {
      throw new AlertNotDeliveredError(reply);
    }
    return reply;
  }

  /**
   * A transient failure throws (the outbox sends the entry again: the record is idempotent, the upload is retried);
   * a refusal (4xx: the clip is not a video, too large) is logged: the e-mail had the clip, the record stands.
   */
  private async uploadClip(incidentId: string, file: string, call: { signal: AbortSignal; retries: number }) {
    try {
      await this.opts.client.uploadIncidentClip(incidentId, await fileBlob(file, 'video/mp4'), call);
    } catch (err) {
      if (!isApiError(err) || err.transient) throw err;
      this.log.warn(
        { incidentId, status: err.status, err: errorText(err) },
        'the gateway refused the clip of a recorded incident',
      );
    }
  }

  private languageFor(cameraId: string, language: AlertLanguage | undefined): AlertLanguage | undefined {
    const set = this.opts.camerasWithLanguage;
    return !set || set.has(cameraId) ? language : undefined;
  }

  private toDelivery(outcome: OutboxOutcome<RemoteAlertPayload, RemoteReply>): DeliveryResult {
    const gateway = `gateway:${redactUrl(this.opts.baseUrl)}`;
    if (outcome.status === 'queued') {
      return { status: 'queued', destination: `outbox:${outcome.entry.dir}`, detail: errorText(outcome.error) };
    }
    if (outcome.status === 'rejected') {
      return { status: 'failed', destination: `outbox:${outcome.entry.dir}`, detail: errorText(outcome.error) };
    }
    const r = outcome.result;
    if (r === 'recorded') return { status: 'sent', destination: gateway, detail: 'recorded, not mailed' };
    return {
      status: deliveryStatus(r),
      destination: r.to ? `${gateway} → ${r.to}` : gateway,
      messageId: r.email_delivery?.message_id ?? r.alert_id ?? undefined,
      detail: r.error ?? r.email_delivery?.suppressed_reason,
      clipBytes: outcome.entry.fileBytes,
    };
  }
}

const DELIVERY_STATE: Record<DeliveryStatus, DeliveryState> = {
  sent: DeliveryState.Sent,
  duplicate: DeliveryState.Sent,
  suppressed: DeliveryState.Suppressed,
  queued: DeliveryState.Queued,
  failed: DeliveryState.Failed,
};

function deliveryStatus(r: AlertReply): DeliveryStatus {
  switch (r.status) {
    case 'delivered':
      return 'sent';
    case 'suppressed':
      return /duplicate|idempot/i.test(r.email_delivery?.suppressed_reason ?? '') ? 'duplicate' : 'suppressed';
    case 'queued':
      return 'queued';
    default:
      return r.success ? 'sent' : 'failed';
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface CreateRemoteBackendOptions
  extends
    Omit<RemoteBackendOptions, 'client' | 'baseUrl'>,
    Pick<VigintClientOptions, 'timeoutMs' | 'retries' | 'userAgent'> {
  apiServerUrl: string;
  apiKey: string;
}

/** main.ts's one call for distributed mode: the client and the backend, outbox opened and replaying. */
export function createRemoteBackend(opts: CreateRemoteBackendOptions): Promise<RemoteBackend> {
  const client = new VigintClient({
    baseUrl: opts.apiServerUrl,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs,
    retries: opts.retries,
    userAgent: opts.userAgent ?? 'vigint-edge-agent',
    log: opts.log,
  });
  return RemoteBackend.open({ ...opts, client, baseUrl: opts.apiServerUrl });
}
