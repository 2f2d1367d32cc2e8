import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CameraState } from '@vigint/contracts';
import { CAPTURE_SEGMENT_LIST, captureArgs, type CapturePlan, type RtspTransport } from '@vigint/ffmpeg';
import type { Logger } from '@vigint/logger';
import { redactUrl } from '@vigint/logger';
import type { CameraConfig } from './config';
import { SegmentIndex, type Segment } from './segment-index';

/** What CameraCapture needs from FfmpegAdapter (structural, so tests can pass the real adapter or a stub). */
export interface FfmpegSpawner {
  spawn(
    args: string[],
    options?: { signal?: AbortSignal },
  ): { stdout: Readable; stderrTail(): string; exited: Promise<number | null>; stop(graceMs?: number): Promise<void> };
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
}

export interface CaptureHandlers {
  /** One small grayscale frame; `t` = seconds on the camera's timeline. Awaited: a slow handler slows reading. */
  onFrame(frame: Uint8Array, t: number): void | Promise<void>;
  onState?(state: CameraState, detail: { attempt: number; transport?: RtspTransport; reason?: string }): void;
  onNotice?(kind: 'camera_offline' | 'camera_online', seconds: number): void;
}

interface Run {
  dir: string;
  offset: number;
}

/**
 * One ffmpeg per camera (capture.presets.ts): raw gray frames on stdout for the motion gate, stream-copied
 * segments and 1 fps JPEG snapshots on disk. A watchdog restarts a camera that stalls, with exponential
 * backoff; RTSP tries TCP first and falls back to UDP when TCP gives nothing (some servers only speak UDP).
 */
export class CameraCapture {
  readonly width: number;
  readonly height: number;
  readonly segments = new SegmentIndex();
  state: CameraState = CameraState.Connecting;
  framesRead = 0;
  restarts = 0;
  private readonly log: Logger;
  private readonly snapshotFps: number;
  private readonly runs: Run[] = [];
  private proc: ReturnType<FfmpegSpawner['spawn']> | undefined;
  private stopping = false;
  private lastFrameAt = Date.now();
  private lastT = 0;
  private offlineAlerted = false;
  private transportIndex = 0;
  private stallReason: string | undefined;

  constructor(
    readonly camera: CameraConfig,
    private readonly ffmpeg: FfmpegSpawner,
    private readonly opts: CaptureOptions,
    log: Logger,
  ) {
    this.log = log.child({ module: 'camera-capture', cameraId: camera.id });
    this.width = opts.detectWidth ?? 160;
    this.height = opts.detectHeight ?? 90;
    this.snapshotFps = opts.snapshotFps ?? 1;
  }

  private get transports(): RtspTransport[] {
    const t = this.camera.rtspTransport;
    return t === 'auto' ? ['tcp', 'udp'] : [t];
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
    const watchdog = setInterval(() => this.checkWatchdog(handlers), 500);
    try {
      while (!this.stopping) {
        attempt++;
        const transport =
          this.camera.kind === 'rtsp' ? this.transports[this.transportIndex % this.transports.length] : undefined;
        if (attempt === 1) this.announce(CameraState.Connecting, handlers, { attempt, transport });
        else this.log.info({ attempt, transport }, 'camera reconnecting');
        const framesBefore = this.framesRead;
        const { code, tail } = await this.runOnce(handlers, transport);
        const gotFrames = this.framesRead > framesBefore;
        if (this.stopping) break;
        if (this.camera.kind === 'file' && !this.camera.loop && code === 0 && gotFrames) {
          this.setState(CameraState.Ended, handlers, { attempt });
          return CameraState.Ended;
        }
        const reason =
          this.stallReason ?? (code === 0 ? 'source ended' : `ffmpeg exited with ${code}: ${lastLine(tail)}`);
        this.stallReason = undefined;
        if (this.camera.kind === 'file' && !gotFrames && attempt === 1) {
          // A file that gives no frame at all will not get better by retrying.
          this.log.error({ reason }, 'camera failed');
          this.setState(CameraState.Failed, handlers, { attempt, reason });
          return CameraState.Failed;
        }
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
      clearInterval(watchdog);
    }
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
    const silentMs = Date.now() - this.lastFrameAt;
    // Opening a stream (RTSP setup, ffmpeg probing the codec) takes seconds: a longer limit before the first frame.
    const limitS =
      this.state === CameraState.Live
        ? this.opts.watchdogSeconds
        : Math.max(this.opts.watchdogSeconds, this.opts.connectTimeoutSeconds ?? 15);
    if (this.proc && !this.stopping && silentMs > limitS * 1000) {
      this.stallReason = `no frame for ${Math.round(silentMs / 1000)} s`;
      this.log.warn({ silentMs }, 'camera watchdog: no frames, restarting');
      const p = this.proc;
      this.proc = undefined;
      void p.stop(2000);
    }
    // Before the first frame ever, a slow first connection is not an outage yet.
    const offlineS =
      this.framesRead > 0
        ? this.opts.offlineAlertSeconds
        : Math.max(this.opts.offlineAlertSeconds, this.opts.connectTimeoutSeconds ?? 15);
    if (!this.offlineAlerted && this.state !== CameraState.Ended && silentMs > offlineS * 1000) {
      this.offlineAlerted = true;
      this.log.warn({ seconds: Math.round(silentMs / 1000) }, 'camera offline');
      handlers.onNotice?.('camera_offline', Math.round(silentMs / 1000));
    }
  }

  private async runOnce(
    handlers: CaptureHandlers,
    transport: RtspTransport | undefined,
  ): Promise<{ code: number | null; tail: string }> {
    const runDir = join(this.opts.dir, `run-${this.runs.length}`);
    await mkdir(runDir, { recursive: true });
    // Times of this run start where the last one stopped; in real time the outage is added.
    const offset =
      this.runs.length === 0 ? 0 : this.lastT + (this.opts.fast ? 0 : (Date.now() - this.lastFrameAt) / 1000);
    const run: Run = { dir: runDir, offset };
    this.runs.push(run);
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
      snapshotFps: this.snapshotFps,
    };
    this.log.debug(
      { source: this.camera.kind === 'rtsp' ? redactUrl(this.camera.source) : this.camera.source, transport },
      'capture start',
    );
    this.lastFrameAt = Date.now();
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
          this.lastFrameAt = Date.now();
          if (this.state !== CameraState.Live)
            this.setState(CameraState.Live, handlers, { attempt: this.runs.length, transport });
          if (this.offlineAlerted) {
            this.offlineAlerted = false;
            handlers.onNotice?.('camera_online', 0);
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
    for (const run of this.runs) {
      await this.segments.refresh(run.dir, join(run.dir, CAPTURE_SEGMENT_LIST), run.offset);
    }
    await this.segments.prune(this.lastT - this.opts.retainSeconds);
    await this.pruneSnapshots(this.lastT - this.opts.retainSeconds);
  }

  private snapshotPruneBefore = 0;
  private async pruneSnapshots(before: number): Promise<void> {
    if (before - this.snapshotPruneBefore < 5) return;
    this.snapshotPruneBefore = before;
    for (const run of this.runs) {
      let names: string[];
      try {
        names = await readdir(run.dir);
      } catch {
        continue;
      }
      for (const n of names) {
        const m = /^snap-(\d+)\.jpg$/.exec(n);
        if (m && run.offset + Number(m[1]) / this.snapshotFps < before - 1) await rm(join(run.dir, n), { force: true });
      }
    }
  }

  /** Time of the last frame read (seconds on the camera's timeline). */
  get now(): number {
    return this.lastT;
  }

  /**
   * The full-size JPEG nearest before `t` (complete files only: ffmpeg may still be writing the newest).
   * Undefined when none is on disk yet.
   */
  async snapshotAt(t: number): Promise<Buffer | undefined> {
    for (let r = this.runs.length - 1; r >= 0; r--) {
      const run = this.runs[r]!;
      if (t < run.offset) continue;
      let i = Math.floor((t - run.offset) * this.snapshotFps + 1e-6);
      for (let tries = 0; tries < 4 && i >= 0; tries++, i--) {
        const file = join(run.dir, `snap-${String(i).padStart(6, '0')}.jpg`);
        try {
          const buf = await readFile(file);
          // A JPEG ends with EOI (FF D9); a shorter file is still being written.
          if (buf.length > 4 && buf[buf.length - 2] === 0xff && buf[buf.length - 1] === 0xd9) return buf;
        } catch {
          // not written yet or already pruned: try the one before
        }
      }
    }
    return undefined;
  }

  /** Snapshots every `step` seconds in [from, to], oldest first. */
  async snapshotsBetween(from: number, to: number, max: number): Promise<Buffer[]> {
    const step = Math.max(1 / this.snapshotFps, (to - from) / Math.max(1, max - 1));
    const out: Buffer[] = [];
    let last: Buffer | undefined;
    for (let t = Math.max(0, from); t <= to + 1e-6 && out.length < max; t += step) {
      const s = await this.snapshotAt(t);
      if (s && s !== last && !(last && s.equals(last))) out.push(s);
      last = s;
    }
    return out;
  }

  segmentsBetween(from: number, to: number): Segment[] {
    return this.segments.between(from, to);
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
    await rm(this.opts.dir, { recursive: true, force: true });
  }
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines.at(-1) ?? '').slice(0, 300);
}
