import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CameraState } from '@vigint/contracts';
import {
  captureArgs,
  chooseRecordingPath,
  isSourceUnreadable,
  redactCredentials,
  SourceUnreadableError,
  type CapturePlan,
  type RecordingPath,
  type RtspTransport,
  type SourceInfo,
  type SourceInputPlan,
} from '@vigint/ffmpeg';
import type { Logger } from '@vigint/logger';
import { CameraWatchdog } from './camera-watchdog';
import type { CameraConfig } from './config';
import { RecordMaintainer } from './record-maintainer';
import type { Segment, SegmentIndex } from './segment-index';

/** What CameraCapture needs from FfmpegAdapter (structural, so tests can pass the real adapter or a stub). */
export interface FfmpegSpawner {
  spawn(
    args: string[],
    options?: { signal?: AbortSignal },
  ): { stdout: Readable; stderrTail(): string; exited: Promise<number | null>; stop(graceMs?: number): Promise<void> };
  /** ffprobe of the source; without it (test stubs) the recording is a plain video stream copy. */
  probeSource?(plan: SourceInputPlan, options?: { timeoutMs?: number }): Promise<SourceInfo>;
}

export interface CaptureOptions {
  detectWidth?: number;
  detectHeight?: number;
  segmentSeconds: number;
  snapshotFps?: number;
  /** Seconds of segments and snapshots kept behind "now" (pre-roll plus the long buffer). */
  retainSeconds: number;
  /** Restart when no frame came for this long. */
  watchdogSeconds: number;
  /** Restart when a new connection gives no first frame for this long (default 15 s). */
  connectTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Raise onNotice('camera_offline') after this long without frames. */
  offlineAlertSeconds: number;
  /** File input: read as fast as possible instead of at the file's rate. */
  fast: boolean;
  /** The camera's temp dir (segments, snapshots); removed by `cleanup()`. */
  dir: string;
  /** Clock for the watchdog (tests); default Date.now. */
  now?: () => number;
}

export interface NoticeDetail {
  /** When the outage began (the last frame before it); the notice's own time is when it is raised. */
  outageStartedAt: Date;
}

export interface CaptureHandlers {
  /** One small grayscale frame; `t` = seconds on the camera's timeline. Awaited: a slow handler slows reading. */
  onFrame(frame: Uint8Array, t: number): void | Promise<void>;
  onState?(state: CameraState, detail: { attempt: number; transport?: RtspTransport; reason?: string }): void;
  onNotice?(kind: 'camera_offline' | 'camera_online', seconds: number, detail: NoticeDetail): void;
}

/** What the status line shows about how the camera is recorded. */
export interface RecordingStatus {
  path: 'copy' | 'transcode';
  reason: string;
}

/**
 * One ffmpeg per camera (capture.presets.ts): raw gray frames on stdout for the motion gate, recorded
 * segments and 1 fps JPEG snapshots on disk (kept by the RecordMaintainer). The source is probed first and
 * the recording path chosen from it (stream copy where MPEG-TS takes the codec, a light transcode where not).
 * A watchdog restarts a camera that stalls, with exponential backoff; RTSP tries TCP first and falls back
 * to UDP when TCP gives nothing (some servers only speak UDP).
 */
export class CameraCapture {
  readonly width: number;
  readonly height: number;
  readonly record: RecordMaintainer;
  state: CameraState = CameraState.Connecting;
  framesRead = 0;
  restarts = 0;
  /** How the camera is recorded, once probed (status line, log). */
  recording: RecordingStatus | undefined;
  /** Why the camera failed for good (state Failed): one line naming the source and the reason. */
  failure: SourceUnreadableError | undefined;
  private readonly log: Logger;
  private readonly watchdog: CameraWatchdog;
  private proc: ReturnType<FfmpegSpawner['spawn']> | undefined;
  private stopping = false;
  private lastT = 0;
  private transportIndex = 0;
  private stallReason: string | undefined;
  private readonly clock: () => number;

  constructor(
    readonly camera: CameraConfig,
    private readonly ffmpeg: FfmpegSpawner,
    private readonly opts: CaptureOptions,
    log: Logger,
  ) {
    this.log = log.child({ module: 'camera-capture', cameraId: camera.id });
    this.width = opts.detectWidth ?? 160;
    this.height = opts.detectHeight ?? 90;
    this.clock = opts.now ?? Date.now;
    this.record = new RecordMaintainer({
      dir: opts.dir,
      retainSeconds: opts.retainSeconds,
      snapshotFps: opts.snapshotFps ?? 1,
    });
    this.watchdog = new CameraWatchdog(
      {
        watchdogSeconds: opts.watchdogSeconds,
        connectTimeoutSeconds: opts.connectTimeoutSeconds,
        offlineAlertSeconds: opts.offlineAlertSeconds,
      },
      this.clock,
    );
  }

  /** The recorded segments (clips are cut from them; events hold them against retention). */
  get segments(): SegmentIndex {
    return this.record.segments;
  }

  private get transports(): RtspTransport[] {
    const t = this.camera.rtspTransport;
    return t === 'auto' ? ['tcp', 'udp'] : [t];
  }

  private get shownSource(): string {
    return redactCredentials(this.camera.source);
  }

  /** Logs and reports a state even when it is the initial one. */
  private announce(
    state: CameraState,
    handlers: CaptureHandlers,
    detail: { attempt: number; transport?: RtspTransport },
  ) {
    this.state = state;
    this.log.info({ state, ...detail }, 'camera state');
    handlers.onState?.(state, detail);
  }

  private setState(
    state: CameraState,
    handlers: CaptureHandlers,
    detail: { attempt: number; transport?: RtspTransport; reason?: string },
  ) {
    if (this.state === state && state !== CameraState.Reconnecting) return;
    this.state = state;
    this.log.info({ state, ...detail }, 'camera state');
    handlers.onState?.(state, detail);
  }

  /**
   * Runs until the source ends (a file without --loop), the camera fails for good, or `stop()` is called.
   * Resolves with the final state.
   */
  async run(handlers: CaptureHandlers): Promise<CameraState> {
    await mkdir(this.opts.dir, { recursive: true });
    let attempt = 0;
    let failures = 0;
    const tick = setInterval(() => this.checkWatchdog(handlers), 500);
    try {
      while (!this.stopping) {
        attempt++;
        const transport =
          this.camera.kind === 'rtsp' ? this.transports[this.transportIndex % this.transports.length] : undefined;
        if (attempt === 1) this.announce(CameraState.Connecting, handlers, { attempt, transport });
        else this.log.info({ attempt, transport }, 'camera reconnecting');
        this.watchdog.attemptStarted();
        const framesBefore = this.framesRead;
        let reason: string;
        const recording = await this.probe(transport);
        if (recording instanceof SourceUnreadableError) {
          reason = recording.reason;
          // A file that cannot be read will not get better by retrying; a camera may come back.
          if (this.camera.kind === 'file') return this.fail(recording, handlers, attempt);
        } else {
          const { code, tail } = await this.runOnce(handlers, transport, recording);
          const gotFrames = this.framesRead > framesBefore;
          if (this.stopping) break;
          if (this.camera.kind === 'file' && !this.camera.loop && code === 0 && gotFrames) {
            this.setState(CameraState.Ended, handlers, { attempt });
            return CameraState.Ended;
          }
          reason =
            this.stallReason ??
            (code === 0 ? 'source ended' : `ffmpeg exited with ${code}: ${redactCredentials(lastLine(tail))}`);
          if (this.camera.kind === 'file' && !gotFrames && attempt === 1) {
            return this.fail(
              new SourceUnreadableError(this.camera.source, `ffmpeg gave no frame (${reason})`),
              handlers,
              attempt,
            );
          }
        }
        this.stallReason = undefined;
        const gotFrames = this.framesRead > framesBefore;
        failures = gotFrames ? 1 : failures + 1;
        // TCP gave nothing: try the next transport (UDP) before backing off.
        if (!gotFrames && this.camera.kind === 'rtsp') this.transportIndex++;
        this.restarts++;
        const delay = Math.min(
          this.opts.backoffMaxMs ?? 30_000,
          (this.opts.backoffInitialMs ?? 1000) * 2 ** Math.max(0, failures - 1),
        );
        this.log.warn({ reason, delayMs: delay, attempt }, 'camera restart');
        this.setState(CameraState.Reconnecting, handlers, { attempt, transport, reason });
        await this.sleep(delay);
      }
      return this.state;
    } finally {
      clearInterval(tick);
    }
  }

  private fail(err: SourceUnreadableError, handlers: CaptureHandlers, attempt: number): CameraState {
    this.failure = err;
    // One line naming the source and the reason: never a bare ffmpeg message.
    this.log.error({ source: err.source, reason: err.reason }, err.message);
    this.setState(CameraState.Failed, handlers, { attempt, reason: err.reason });
    return CameraState.Failed;
  }

  /** Probes the source and picks the recording path; an unreadable source comes back as the error. */
  private async probe(
    transport: RtspTransport | undefined,
  ): Promise<RecordingPath | undefined | SourceUnreadableError> {
    if (!this.ffmpeg.probeSource) return undefined;
    let info: SourceInfo;
    try {
      info = await this.ffmpeg.probeSource(
        {
          source: this.camera.source,
          kind: this.camera.kind,
          rtspTransport: transport,
          ioTimeoutSeconds: Math.max(5, this.opts.watchdogSeconds),
        },
        { timeoutMs: Math.max(10, this.opts.connectTimeoutSeconds ?? 15) * 1000 },
      );
    } catch (err) {
      if (isSourceUnreadable(err)) return err;
      throw err;
    }
    const path = chooseRecordingPath(info, { audio: this.camera.record.audio ?? false });
    const status: RecordingStatus = { path: path.video, reason: path.reason };
    if (this.recording?.reason !== status.reason) {
      this.log.info(
        {
          recordingPath: status.path,
          reason: status.reason,
          codec: info.video.codec,
          container: info.formatName,
          audio: info.audio?.codec,
        },
        'recording path',
      );
    }
    this.recording = status;
    return path;
  }

  private sleepTimer: NodeJS.Timeout | undefined;
  private sleepResolve: (() => void) | undefined;
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepResolve = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private checkWatchdog(handlers: CaptureHandlers): void {
    const verdict = this.watchdog.check({
      live: this.state === CameraState.Live,
      running: this.proc !== undefined && !this.stopping,
      ended: this.state === CameraState.Ended || this.state === CameraState.Failed,
    });
    if (verdict.restart && this.proc) {
      this.stallReason = verdict.restart;
      this.log.warn({ reason: verdict.restart }, 'camera watchdog: no frames, restarting');
      const p = this.proc;
      this.proc = undefined;
      void p.stop(2000);
    }
    if (verdict.notice) {
      const since = new Date(verdict.notice.outageStartedAt);
      this.log.warn({ seconds: verdict.notice.seconds, outageStartedAt: since.toISOString() }, 'camera offline');
      handlers.onNotice?.('camera_offline', verdict.notice.seconds, { outageStartedAt: since });
    }
  }

  private async runOnce(
    handlers: CaptureHandlers,
    transport: RtspTransport | undefined,
    recording: RecordingPath | undefined,
  ): Promise<{ code: number | null; tail: string }> {
    // Times of this run start where the last one stopped; in real time the outage is added.
    const offset =
      this.record.runCount === 0
        ? 0
        : this.lastT + (this.opts.fast ? 0 : (this.clock() - this.watchdog.lastFrameTime) / 1000);
    const runDir = await this.record.startRun(offset);
    const plan: CapturePlan = {
      source: this.camera.source,
      kind: this.camera.kind,
      rtspTransport: transport,
      realtime: this.camera.kind === 'file' && !this.opts.fast,
      loop: this.camera.loop,
      ioTimeoutSeconds: Math.max(5, this.opts.watchdogSeconds),
      detectFps: this.camera.detectFps,
      detectWidth: this.width,
      detectHeight: this.height,
      segmentSeconds: this.opts.segmentSeconds,
      dir: runDir,
      snapshotFps: this.opts.snapshotFps ?? 1,
      recording,
    };
    this.log.debug({ source: this.shownSource, transport }, 'capture start');
    const proc = this.ffmpeg.spawn(captureArgs(plan));
    this.proc = proc;
    const frameSize = this.width * this.height;
    let pending: Buffer = Buffer.alloc(0);
    let index = 0;
    let lastRefresh = 0;
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= frameSize) {
          const frame = new Uint8Array(pending.subarray(0, frameSize));
          pending = pending.subarray(frameSize);
          const t = offset + index / this.camera.detectFps;
          index++;
          this.framesRead++;
          this.lastT = t;
          const online = this.watchdog.frame();
          if (this.state !== CameraState.Live)
            this.setState(CameraState.Live, handlers, { attempt: this.record.runCount, transport });
          if (online) {
            this.log.info({ seconds: online.seconds }, 'camera online');
            handlers.onNotice?.('camera_online', online.seconds, { outageStartedAt: new Date(online.outageStartedAt) });
          }
          if (t - lastRefresh >= 1) {
            lastRefresh = t;
            await this.refreshSegments();
          }
          await handlers.onFrame(frame, t);
        }
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'capture stdout closed');
    }
    const code = await proc.exited;
    if (this.proc === proc) this.proc = undefined;
    await this.refreshSegments();
    return { code, tail: proc.stderrTail() };
  }

  /** Picks up completed segments and deletes what is older than the retention window. */
  async refreshSegments(): Promise<void> {
    await this.record.refresh(this.lastT);
  }

  /** Time of the last frame read (seconds on the camera's timeline). */
  get now(): number {
    return this.lastT;
  }

  snapshotAt(t: number): Promise<Buffer | undefined> {
    return this.record.snapshotAt(t);
  }

  /** Snapshots every `step` seconds in [from, to], oldest first. */
  snapshotsBetween(from: number, to: number, max: number): Promise<Buffer[]> {
    return this.record.snapshotsBetween(from, to, max);
  }

  segmentsBetween(from: number, to: number): Segment[] {
    return this.record.segmentsBetween(from, to);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepResolve?.();
    const p = this.proc;
    this.proc = undefined;
    await p?.stop(3000);
  }

  /** Removes the camera's temp dir (segments, snapshots). */
  async cleanup(): Promise<void> {
    await this.record.cleanup();
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 300);
}
