import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AnalysisStage,
  BufferType,
  CameraState,
  ErrorCode,
  riskAtLeast,
  type AnalysisResult,
  type Polygon,
} from '@vigint/contracts';
import {
  clipBounds,
  planClip,
  type ClipCutOptions,
  type ClipOutcome,
  type ClipPlan,
  type ClipWindow,
} from '@vigint/clip';
import type { Logger } from '@vigint/logger';
import { MotionGate } from '@vigint/motion';
import type { CameraNotice, DeliveryResult, Incident, IncidentBackend } from './backend';
import type { CameraCapture } from './camera-capture';
import type { CameraConfig } from './config';

/** Makes the e-mail clip out of recorded segments (ClipService.cutClip); a failure is a value, never thrown. */
export interface ClipCutter {
  cutClip(plan: ClipPlan, outFile: string, options?: ClipCutOptions): Promise<ClipOutcome>;
}

/** Blacks out privacy masks in what leaves the agent besides the AI frames: the clip and the snapshot. */
export interface PrivacyMasker {
  maskClip(inFile: string, masks: Polygon[], outFile: string): Promise<string>;
  maskImage(jpeg: Buffer, masks: Polygon[]): Promise<Buffer>;
}

export interface PipelineOptions {
  fast: boolean;
  shortBufferSeconds: number;
  longBufferSeconds: number;
  /** Where clips are cut before delivery (the camera's temp dir). */
  workDir: string;
  /** Longest event before its clip is cut even if motion goes on. */
  maxEventSeconds?: number;
  /** Motion pauses shorter than this belong to the same motion run. */
  motionGapSeconds?: number;
  /** Required when the camera has masks: clips and snapshots are masked before any backend sees them. */
  privacy?: PrivacyMasker;
}

export interface AlertRecord {
  kind: 'incident' | CameraNotice['kind'];
  cameraId: string;
  status: DeliveryResult['status'];
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
  incidents: number;
  alerts: AlertRecord[];
  errors: number;
}

interface OpenEvent {
  start: number;
  startWall: number;
  lastMotion: number;
  result: AnalysisResult;
  snapshot?: Buffer;
  detectedAt: Date;
  /** Releases this event's hold on the recorded segments (after its clip is cut and sent). */
  releaseSegments: () => void;
}

/**
 * One camera's loop (DESIGN.md "The edge agent's loop"): motion gate → while motion, one sampled frame every
 * `sampleInterval` s goes to the screening stage (with the long buffer for confirmation) → an incident at or
 * above the threshold opens an event → after the post-roll, one clip is cut from the segments and one alert
 * is delivered → cooldown. Frames without motion never reach the backend.
 */
export class CameraPipeline {
  readonly stats: CameraStats = {
    framesRead: 0,
    motionFrames: 0,
    analyses: 0,
    aiCalls: 0,
    incidents: 0,
    alerts: [],
    errors: 0,
  };
  motion = false;
  private readonly gate: MotionGate;
  private readonly log: Logger;
  private motionStart: number | undefined;
  private motionStartWall = 0;
  private lastMotion = -Infinity;
  private lastSample = -Infinity;
  private cooldownUntil = -Infinity;
  private analyzing: Promise<void> | undefined;
  private event: OpenEvent | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly startedAtMs = Date.now();

  constructor(
    readonly camera: CameraConfig,
    private readonly capture: CameraCapture,
    private readonly backend: IncidentBackend,
    private readonly clips: ClipCutter,
    private readonly opts: PipelineOptions,
    log: Logger,
  ) {
    this.log = log.child({ module: 'pipeline', cameraId: camera.id });
    this.gate = new MotionGate({ width: capture.width, height: capture.height, settings: camera.motion });
  }

  /** Runs the capture until it ends or is stopped, then finishes any open incident. */
  async run(): Promise<CameraState> {
    const state = await this.capture.run({
      onFrame: (frame, t) => this.onFrame(frame, t),
      onNotice: (kind, seconds, detail) => this.track(this.notify(kind, seconds, detail?.outageStartedAt)),
      onState: (s) => {
        // A new connection may show another picture (PTZ preset, day/night): learn the background again.
        if (s === CameraState.Reconnecting) this.gate.reset();
      },
    });
    await this.finish();
    return state;
  }

  async stop(): Promise<void> {
    await this.capture.stop();
  }

  /** Closes an open event with what was recorded, and waits for every pending analysis and delivery. */
  async finish(): Promise<void> {
    if (this.analyzing) await this.analyzing;
    if (this.event) this.closeEvent(this.capture.now);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  async onFrame(frame: Uint8Array, t: number): Promise<void> {
    this.stats.framesRead++;
    const r = this.gate.update(frame);
    this.motion = r.motion;
    if (r.motion) {
      this.stats.motionFrames++;
      if (this.motionStart === undefined || t - this.lastMotion > (this.opts.motionGapSeconds ?? 3)) {
        this.motionStart = t;
        this.motionStartWall = Date.now();
      }
      this.lastMotion = t;
    }

    if (this.event) {
      if (r.motion) this.event.lastMotion = t;
      const post = this.camera.record.post_capture;
      if (t >= this.event.lastMotion + post || t - this.event.start >= (this.opts.maxEventSeconds ?? 60))
        this.closeEvent(t);
      return;
    }
    if (!r.motion || !this.camera.analysisEnabled || t < this.cooldownUntil || this.analyzing) return;
    if (t - this.lastSample < this.camera.sampleInterval) return;
    this.lastSample = t;
    const p = this.analyzeAt(t).finally(() => {
      this.analyzing = undefined;
    });
    this.analyzing = p;
    // Real time: never block frame reading on the AI (ffmpeg's pipe would fill and the stream stall).
    // --fast: wait, so results do not depend on how fast the CPU is.
    if (this.opts.fast) await p;
  }

  private async analyzeAt(t: number): Promise<void> {
    const frames = await this.capture.snapshotsBetween(t - this.opts.shortBufferSeconds, t, 4);
    if (frames.length === 0) return;
    const longFrames = await this.capture.snapshotsBetween(t - this.opts.longBufferSeconds, t, 6);
    this.stats.analyses++;
    let result: AnalysisResult;
    try {
      result = await this.backend.analyze({
        cameraId: this.camera.id,
        cameraName: this.camera.name,
        frames,
        longFrames,
        bufferType: BufferType.Short,
        language: this.camera.language,
        masks: this.camera.motion.mask,
      });
    } catch (err) {
      this.stats.errors++;
      this.log.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'analysis failed');
      return;
    }
    this.stats.aiCalls += result.ai_calls.filter((c) => c.stage !== AnalysisStage.Offline).length;
    this.log.info(
      {
        t: round(t),
        risk: result.risk_level,
        incident: result.incident,
        model: result.model,
        frameCount: frames.length,
      },
      'analysis',
    );
    if (
      !result.incident ||
      !riskAtLeast(result.risk_level, this.camera.threshold) ||
      this.event ||
      t < this.cooldownUntil
    )
      return;
    const start = this.motionStart ?? t;
    this.event = {
      start,
      startWall: this.motionStart !== undefined ? this.motionStartWall : Date.now(),
      lastMotion: Math.max(this.lastMotion, t),
      result,
      snapshot: frames.at(-1),
      detectedAt: new Date(),
      releaseSegments: this.capture.segments.hold(start - this.camera.record.pre_capture),
    };
    this.stats.incidents++;
    this.log.warn({ risk: result.risk_level, type: result.incident_type, eventStart: round(start) }, 'incident opened');
  }

  private closeEvent(t: number): void {
    const ev = this.event!;
    this.event = undefined;
    this.cooldownUntil = t + this.camera.cooldownSeconds;
    // planClip (libs/core/clip) is the one place that turns this into the clip's range and segments.
    const window: Omit<ClipWindow, 'segments'> = {
      eventStart: ev.start,
      eventEnd: ev.lastMotion,
      preCapture: this.camera.record.pre_capture,
      postCapture: this.camera.record.post_capture,
      maxEnd: Math.max(t, ev.lastMotion),
    };
    const { to } = clipBounds(window);
    const startedAt = new Date(this.startedAtMs + ev.start * 1000);
    const incident: Incident = {
      idempotencyKey: `${this.camera.id}-${startedAt.getTime()}`,
      cameraId: this.camera.id,
      cameraName: this.camera.name,
      startedAt,
      endedAt: new Date(this.startedAtMs + to * 1000),
      detectedAt: ev.detectedAt,
      riskLevel: ev.result.risk_level,
      analysis: ev.result,
      snapshot: ev.snapshot,
      masks: this.camera.motion.mask,
      language: this.camera.language,
    };
    this.track(this.deliver(incident, window, ev));
  }

  /**
   * Waits for the segments covering the clip, cuts it, delivers it. A clip that cannot be made does not stop
   * the alert: it goes with the snapshot and says why the clip is missing (`incident.clipError`).
   */
  private async deliver(incident: Incident, window: Omit<ClipWindow, 'segments'>, ev: OpenEvent): Promise<void> {
    const { from, to } = clipBounds(window);
    const record: AlertRecord = {
      kind: 'incident',
      cameraId: this.camera.id,
      status: 'failed',
      destination: '',
      idempotencyKey: incident.idempotencyKey,
      eventStart: ev.start,
      clipRange: [round(from), round(to)],
      riskLevel: incident.riskLevel,
    };
    const clipFile = join(this.opts.workDir, `clip-${incident.idempotencyKey}.mp4`);
    try {
      await this.waitForSegments(to);
      const plan = planClip({ ...window, segments: this.capture.segmentsBetween(from, to) });
      await mkdir(this.opts.workDir, { recursive: true });
      const clip: ClipOutcome = plan
        ? await this.clips.cutClip(plan, clipFile, { audio: this.camera.record.audio ?? false })
        : { ok: false, clipError: 'no recording covers the event', code: ErrorCode.NotFound };
      let sendFile: string | undefined = clip.ok ? clip.file : undefined;
      if (!clip.ok) {
        incident.clipError = clip.clipError;
        record.detail = clip.clipError;
        this.log.error({ key: incident.idempotencyKey, clipError: clip.clipError }, 'clip failed: alerting without it');
      }
      const masks = this.camera.motion.mask;
      if (masks.length > 0) {
        if (!this.opts.privacy) throw new Error('camera has privacy masks but no masker is configured');
        // Both backends get a masked clip and snapshot: nothing unmasked leaves the agent.
        if (sendFile) sendFile = await this.opts.privacy.maskClip(sendFile, masks, `${clipFile}.masked.mp4`);
        if (incident.snapshot) incident.snapshot = await this.opts.privacy.maskImage(incident.snapshot, masks);
      }
      if (!this.camera.alertEnabled) {
        Object.assign(record, { status: 'suppressed', destination: '', detail: 'alerts disabled for this camera' });
      } else {
        const res = await this.backend.deliver(incident, sendFile);
        Object.assign(record, {
          status: res.status,
          destination: res.destination,
          detail: [res.detail, incident.clipError].filter(Boolean).join('; ') || undefined,
        });
      }
      // Wall-clock latency means something only in real time (--fast replays faster than the camera).
      if (!this.opts.fast) record.latencyMs = Date.now() - ev.startWall;
      this.log.warn(
        {
          status: record.status,
          destination: record.destination,
          key: incident.idempotencyKey,
          latencyMs: record.latencyMs,
        },
        'alert delivered',
      );
    } catch (err) {
      this.stats.errors++;
      record.detail = (err as Error).message;
      this.log.error({ err: record.detail, key: incident.idempotencyKey }, 'alert failed');
    } finally {
      this.stats.alerts.push(record);
      ev.releaseSegments();
      await rm(clipFile, { force: true });
      await rm(`${clipFile}.masked.mp4`, { force: true });
    }
  }

  private async waitForSegments(to: number): Promise<void> {
    const deadline = Date.now() + 30_000 + this.camera.record.post_capture * 1000;
    while (this.capture.segments.coveredUntil() < to - 0.05 && Date.now() < deadline) {
      if (this.capture.state === CameraState.Ended || this.capture.state === CameraState.Failed) {
        await this.capture.refreshSegments();
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
      await this.capture.refreshSegments();
    }
  }

  private async notify(kind: CameraNotice['kind'], seconds: number, outageStartedAt?: Date): Promise<void> {
    const at = new Date();
    const notice: CameraNotice = {
      kind,
      cameraId: this.camera.id,
      cameraName: this.camera.name,
      at,
      outageStartedAt,
      seconds,
      idempotencyKey: `${this.camera.id}-${kind}-${at.getTime()}`,
    };
    const record: AlertRecord = {
      kind,
      cameraId: this.camera.id,
      status: 'failed',
      destination: '',
      idempotencyKey: notice.idempotencyKey,
    };
    try {
      const res = await this.backend.notify(notice);
      Object.assign(record, { status: res.status, destination: res.destination, detail: res.detail });
    } catch (err) {
      record.detail = (err as Error).message;
    }
    this.stats.alerts.push(record);
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
