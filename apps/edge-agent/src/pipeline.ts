import { AnalysisStage, BufferType, CameraState, riskAtLeast, type AnalysisResult } from '@vigint/contracts';
import { EventMaintainer, type AnalyzeReason, type EventAction, type FrameMotion } from '@vigint/event';
import type { Logger } from '@vigint/logger';
import { MotionGate, type MotionResult } from '@vigint/motion';
import type { IncidentBackend } from './backend';
import type { CameraCapture } from './camera-capture';
import { emptyStats, round2, type CameraStats } from './camera-stats';
import type { CameraConfig } from './config';
import { IncidentDispatcher, type ClipCutter, type PrivacyMasker } from './incident-dispatcher';

export type { AlertRecord, CameraStats } from './camera-stats';
export type { ClipCutter, PrivacyMasker } from './incident-dispatcher';

export interface PipelineOptions {
  fast: boolean;
  shortBufferSeconds: number;
  longBufferSeconds: number;
  /** Where clips are cut before delivery (the camera's temp dir). */
  workDir: string;
  /** Motion pauses shorter than this belong to the same motion run. */
  motionGapSeconds?: number;
  /** Required when the camera has masks: clips and snapshots are masked before any backend sees them. */
  privacy?: PrivacyMasker;
}

/** The gate's result in the event maintainer's terms (one box per motion region when the gate gives them). */
function frameMotion(r: MotionResult): FrameMotion {
  const boxes = (r as { boxes?: FrameMotion['boxes'] }).boxes ?? (r.box ? [r.box] : []);
  return { motion: r.motion, boxes, area: r.motionFraction };
}

/**
 * One camera's loop, wiring only (docs/development.md): capture → motion gate → event maintainer
 * (@vigint/event: when to ask the AI, incident open/close, clip windows) → incident dispatcher (clips, alert,
 * follow-ups). Frames without motion never reach the backend.
 */
export class CameraPipeline {
  readonly stats: CameraStats = emptyStats();
  motion = false;
  private readonly gate: MotionGate;
  private readonly events: EventMaintainer;
  private readonly dispatcher: IncidentDispatcher;
  private readonly log: Logger;
  private t = 0;
  /** Wall-clock ms of the last frame read (0: none yet), for the camera heartbeat. */
  lastFrameWall = 0;
  /** Wall-clock ms when the current motion run started (alert latency is measured from it). */
  private runStartWall = 0;
  private analyzing: Promise<void> | undefined;
  /** The source stopped and no frame came since: a verdict arriving now must not leave an incident open. */
  private sourceGone = false;

  constructor(
    readonly camera: CameraConfig,
    private readonly capture: CameraCapture,
    private readonly backend: IncidentBackend,
    clips: ClipCutter,
    private readonly opts: PipelineOptions,
    log: Logger,
  ) {
    this.log = log.child({ module: 'pipeline', cameraId: camera.id });
    this.gate = new MotionGate({ width: capture.width, height: capture.height, settings: camera.motion });
    this.events = new EventMaintainer(
      {
        sampleInterval: camera.sampleInterval,
        sceneMemory: camera.sceneMemorySeconds,
        motionGap: opts.motionGapSeconds ?? 3,
        preCapture: camera.record.pre_capture,
        postCapture: camera.record.post_capture,
        cooldown: camera.cooldownSeconds,
        maxClip: camera.record.max_clip ?? 30,
        analysisEnabled: camera.analysisEnabled,
      },
      { now: () => this.t },
    );
    this.dispatcher = new IncidentDispatcher(
      camera,
      capture,
      backend,
      clips,
      { fast: opts.fast, workDir: opts.workDir, privacy: opts.privacy, originMs: Date.now() },
      this.stats,
      this.log,
    );
  }

  /** Runs the capture until it ends or is stopped, then finishes any open incident. */
  async run(): Promise<CameraState> {
    const state = await this.capture.run({
      onFrame: (frame, t) => this.onFrame(frame, t),
      onNotice: (kind, seconds, detail) => this.dispatcher.notify(kind, seconds, detail?.outageStartedAt),
      onState: (s) => {
        if (s !== CameraState.Reconnecting) return;
        // A new connection may show another picture (PTZ preset, day/night): learn the background again.
        this.gate.reset();
        // The stream is gone: an open incident goes out now with what was recorded, not when it comes back.
        this.loseSource();
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
    this.t = Math.max(this.t, this.capture.now);
    this.loseSource();
    await this.dispatcher.settled();
  }

  async onFrame(frame: Uint8Array, t: number): Promise<void> {
    this.stats.framesRead++;
    this.t = t;
    this.lastFrameWall = Date.now();
    this.sourceGone = false;
    const r = this.gate.update(frame);
    this.motion = r.motion;
    if (r.motion) this.stats.motionFrames++;
    this.apply(this.events.frame(frameMotion(r)));
    this.stats.skipped = this.events.stats.skipped;
    // Real time: never block frame reading on the AI (ffmpeg's pipe would fill and the stream stall).
    // --fast: wait, so results do not depend on how fast the CPU is.
    if (this.opts.fast && this.analyzing) await this.analyzing;
  }

  private loseSource(): void {
    this.sourceGone = true;
    this.apply(this.events.sourceLost());
  }

  private apply(actions: EventAction[], result?: AnalysisResult, snapshot?: Buffer): void {
    for (const a of actions) {
      switch (a.type) {
        case 'analyze':
          if (a.reason === 'run-start') this.runStartWall = Date.now();
          {
            const p: Promise<void> = this.analyzeAt(a.at, a.reason).finally(() => {
              if (this.analyzing === p) this.analyzing = undefined;
            });
            this.analyzing = p;
          }
          break;
        case 'opened':
          this.dispatcher.opened(a.start, result!, snapshot, this.runStartWall || Date.now());
          break;
        case 'clip':
          this.dispatcher.clip(a.part, a.from, a.to);
          break;
        case 'closed':
          this.dispatcher.closed(a.end);
          break;
      }
    }
  }

  private async analyzeAt(t: number, reason: AnalyzeReason): Promise<void> {
    const frames = await this.capture.snapshotsBetween(t - this.opts.shortBufferSeconds, t, 4);
    if (frames.length === 0) {
      this.apply(this.events.verdict('error'));
      return;
    }
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
      this.apply(this.events.verdict('error'));
      return;
    }
    this.stats.aiCalls += result.ai_calls.filter((c) => c.stage !== AnalysisStage.Offline).length;
    const alert = result.incident && riskAtLeast(result.risk_level, this.camera.threshold);
    this.log.info(
      { t: round2(t), reason, risk: result.risk_level, incident: result.incident, model: result.model },
      'analysis',
    );
    this.apply(this.events.verdict(alert ? 'alert' : 'calm'), result, frames.at(-1));
    // The stream dropped while the AI was thinking: the incident it opened closes with what was recorded.
    if (this.sourceGone) this.loseSource();
  }
}
