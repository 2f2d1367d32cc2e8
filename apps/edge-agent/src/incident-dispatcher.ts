import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CameraState, ErrorCode, type AnalysisResult, type Polygon } from '@vigint/contracts';
import { planClip, type ClipCutOptions, type ClipOutcome, type ClipPlan } from '@vigint/clip';
import type { Logger } from '@vigint/logger';
import type { CameraNotice, Incident, IncidentBackend } from './backend';
import type { CameraCapture } from './camera-capture';
import { round2, type AlertRecord, type CameraStats } from './camera-stats';
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

/** What the dispatcher needs of the capture: the recorded segments and whether more are coming. */
export type RecordedFootage = Pick<CameraCapture, 'segments' | 'segmentsBetween' | 'refreshSegments' | 'state'>;

export interface DispatcherOptions {
  fast: boolean;
  /** Where clips are cut before delivery (the camera's temp dir). */
  workDir: string;
  /** Required when the camera has masks: clips and snapshots are masked before any backend sees them. */
  privacy?: PrivacyMasker;
  /** Wall-clock ms of camera time 0: incident times are this plus the timeline seconds. */
  originMs: number;
}

interface Current {
  incident: Incident;
  start: number;
  startWall: number;
  /** The snapshot masked: nothing of the incident leaves before this. */
  ready: Promise<void>;
  jobs: Promise<unknown>[];
  releaseSegments: () => void;
}

/**
 * Carries out the event maintainer's incident actions for one camera: holds the segments of an open incident,
 * cuts each clip (planClip over the recorded segments), masks it, delivers the alert once and records the
 * follow-ups, and sends camera notices. Every outcome is one line in `stats.alerts`.
 */
export class IncidentDispatcher {
  private current: Current | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly camera: CameraConfig,
    private readonly footage: RecordedFootage,
    private readonly backend: IncidentBackend,
    private readonly clips: ClipCutter,
    private readonly opts: DispatcherOptions,
    private readonly stats: CameraStats,
    private readonly log: Logger,
  ) {}

  /** An incident opened at `start` (motion run start) on the verdict `result`. */
  opened(start: number, result: AnalysisResult, snapshot: Buffer | undefined, startWall: number): void {
    const startedAt = new Date(this.opts.originMs + start * 1000);
    const incident: Incident = {
      idempotencyKey: `${this.camera.id}-${startedAt.getTime()}`,
      cameraId: this.camera.id,
      cameraName: this.camera.name,
      startedAt,
      endedAt: startedAt,
      detectedAt: new Date(),
      riskLevel: result.risk_level,
      analysis: result,
      snapshot,
      masks: this.camera.motion.mask,
      language: this.camera.language,
    };
    const ready = this.maskSnapshot(incident);
    // Awaited by every job of the incident, which report a failure; this only keeps it from counting as unhandled.
    ready.catch(() => undefined);
    this.current = {
      incident,
      start,
      startWall,
      ready,
      jobs: [],
      releaseSegments: this.footage.segments.hold(start - this.camera.record.pre_capture),
    };
    this.stats.incidents++;
    this.log.warn(
      { risk: result.risk_level, type: result.incident_type, eventStart: round2(start) },
      'incident opened',
    );
    // Recorded as open at once (announce never throws); the snapshot is masked before anything leaves.
    this.job(
      ready.then(() => this.backend.announce(incident)),
      'announce',
    );
  }

  private async maskSnapshot(incident: Incident): Promise<void> {
    const masks = this.camera.motion.mask;
    if (masks.length === 0 || !incident.snapshot) return;
    if (!this.opts.privacy) throw new Error('camera has privacy masks but no masker is configured');
    incident.snapshot = await this.opts.privacy.maskImage(incident.snapshot, masks);
  }

  /** Cut [from, to] and deliver it as the alert, or record it as a follow-up of the open incident. */
  clip(part: 'alert' | 'follow-up', from: number, to: number): void {
    const cur = this.current;
    if (!cur) return;
    cur.incident.endedAt = this.at(to);
    const job =
      part === 'alert'
        ? this.deliverAlert(cur, from, to)
        : this.recordFollowUp(cur, from, to, { ...cur.incident, endedAt: this.at(to) });
    cur.jobs.push(job);
    this.track(job);
  }

  /** The incident is over at `end`: the segments are released once its clips are out. */
  closed(end: number): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    cur.incident.endedAt = this.at(end);
    this.track(Promise.allSettled(cur.jobs).then(() => cur.releaseSegments()));
  }

  notify(kind: CameraNotice['kind'], seconds: number, outageStartedAt?: Date): void {
    this.track(this.sendNotice(kind, seconds, outageStartedAt));
  }

  /** Waits for every delivery in flight. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private at(t: number): Date {
    return new Date(this.opts.originMs + t * 1000);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
  }

  private job(p: Promise<unknown>, what: string): void {
    this.track(
      p.catch((err: unknown) => this.log.warn({ err: (err as Error).message }, `incident ${what} not recorded`)),
    );
  }

  /**
   * Waits for the segments covering [from, to], cuts and masks the clip; the caller removes the files.
   * A clip that cannot be made is an outcome (`clipError`), not a throw: the alert still goes.
   */
  private async cut(cur: Current, from: number, to: number, name: string): Promise<ClipOutcome> {
    await cur.ready;
    await this.waitForSegments(to);
    // The event maintainer chose [from, to] (pre-roll, post-roll, max clip); planClip picks the segments.
    const plan = planClip({
      segments: this.footage.segmentsBetween(from, to),
      eventStart: from,
      eventEnd: to,
      preCapture: 0,
      postCapture: 0,
    });
    await mkdir(this.opts.workDir, { recursive: true });
    const clipFile = join(this.opts.workDir, `${name}.mp4`);
    const clip: ClipOutcome = plan
      ? await this.clips.cutClip(plan, clipFile, { audio: this.camera.record.audio ?? false })
      : { ok: false, clipError: 'no recording covers the event', code: ErrorCode.NotFound };
    const masks = this.camera.motion.mask;
    if (!clip.ok || masks.length === 0) return clip;
    if (!this.opts.privacy) throw new Error('camera has privacy masks but no masker is configured');
    // Both backends get a masked clip and snapshot: nothing unmasked leaves the agent.
    return { ...clip, file: await this.opts.privacy.maskClip(clip.file, masks, `${clipFile}.masked.mp4`) };
  }

  private async deliverAlert(cur: Current, from: number, to: number): Promise<void> {
    const { incident } = cur;
    const record: AlertRecord = {
      kind: 'incident',
      cameraId: this.camera.id,
      status: 'failed',
      destination: '',
      idempotencyKey: incident.idempotencyKey,
      eventStart: cur.start,
      clipRange: [round2(from), round2(to)],
      riskLevel: incident.riskLevel,
    };
    const name = `clip-${incident.idempotencyKey}`;
    try {
      const clip = await this.cut(cur, from, to, name);
      if (!clip.ok) {
        incident.clipError = clip.clipError;
        record.detail = clip.clipError;
        this.log.error({ key: incident.idempotencyKey, clipError: clip.clipError }, 'clip failed: alerting without it');
      }
      // The alert carries the end time of its own clip; later follow-ups extend it on record.
      const sent = { ...incident, endedAt: this.at(to) };
      if (!this.camera.alertEnabled) {
        Object.assign(record, { status: 'suppressed', destination: '', detail: 'alerts disabled for this camera' });
      } else {
        const res = await this.backend.deliver(sent, clip.ok ? clip.file : undefined);
        Object.assign(record, {
          status: res.status,
          destination: res.destination,
          detail: [res.detail, incident.clipError].filter(Boolean).join('; ') || undefined,
        });
      }
      // Wall-clock latency means something only in real time (--fast replays faster than the camera).
      if (!this.opts.fast) record.latencyMs = Date.now() - cur.startWall;
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
      await this.removeClip(name);
    }
  }

  private async recordFollowUp(cur: Current, from: number, to: number, incident: Incident): Promise<void> {
    const record: AlertRecord = {
      kind: 'follow_up',
      cameraId: this.camera.id,
      status: 'recorded',
      destination: '',
      idempotencyKey: incident.idempotencyKey,
      eventStart: cur.start,
      clipRange: [round2(from), round2(to)],
      riskLevel: incident.riskLevel,
      detail: `incident goes on to ${round2(to)} s`,
    };
    const name = `follow-${incident.idempotencyKey}-${Math.round(from * 1000)}`;
    try {
      // Without an incident store there is nowhere to keep a further clip: the end time is what is recorded.
      if (this.backend.update) {
        const clip = await this.cut(cur, from, to, name);
        if (!clip.ok) record.detail = `${record.detail}; no follow-up clip: ${clip.clipError}`;
        await this.backend.update({ ...incident, snapshot: cur.incident.snapshot }, clip.ok ? clip.file : undefined);
      }
      this.log.info({ key: incident.idempotencyKey, clipRange: record.clipRange }, 'incident follow-up');
    } catch (err) {
      record.status = 'failed';
      record.detail = (err as Error).message;
      this.log.warn({ err: record.detail, key: incident.idempotencyKey }, 'incident follow-up not recorded');
    } finally {
      this.stats.alerts.push(record);
      await this.removeClip(name);
    }
  }

  private async removeClip(name: string): Promise<void> {
    const file = join(this.opts.workDir, `${name}.mp4`);
    await rm(file, { force: true });
    await rm(`${file}.masked.mp4`, { force: true });
  }

  private async waitForSegments(to: number): Promise<void> {
    const deadline = Date.now() + 30_000 + this.camera.record.post_capture * 1000;
    while (this.footage.segments.coveredUntil() < to - 0.05 && Date.now() < deadline) {
      // The source is gone (ended, failed, reconnecting): what is recorded is all there will be.
      if (this.footage.state !== CameraState.Live && this.footage.state !== CameraState.Connecting) {
        await this.footage.refreshSegments();
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
      await this.footage.refreshSegments();
    }
  }

  private async sendNotice(kind: CameraNotice['kind'], seconds: number, outageStartedAt?: Date): Promise<void> {
    const at = new Date();
    const notice: CameraNotice = {
      kind,
      cameraId: this.camera.id,
      cameraName: this.camera.name,
      at,
      outageStartedAt,
      seconds,
      idempotencyKey: `${this.camera.id}-${kind}-${at.getTime()}`,
      language: this.camera.language,
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
