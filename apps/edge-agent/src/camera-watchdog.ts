/**
 * When to restart a camera's ffmpeg and when the camera counts as offline, on an injected clock (pure: the
 * capture feeds it events and asks it every half second).
 *
 * Two clocks, on purpose: a stall is measured from the last frame or the last (re)connect attempt, whichever
 * is later (a fresh attempt deserves its connect timeout); an outage is measured from the last real frame
 * only. Measuring the outage from the last attempt too meant that, with reconnects every <= 30 s, silence
 * never reached the 60 s offline threshold and the offline alert never fired.
 */
export interface WatchdogOptions {
  /** Restart when a live camera gives no frame for this long. */
  watchdogSeconds: number;
  /** Restart when a new connection gives no first frame for this long (default 15 s). */
  connectTimeoutSeconds?: number;
  /** Raise camera_offline after this long without a frame. */
  offlineAlertSeconds: number;
}

export interface OfflineNotice {
  kind: 'camera_offline';
  /** Seconds without a frame when the notice is raised. */
  seconds: number;
  /** Epoch ms of the last frame (or of the capture start when no frame ever came). */
  outageStartedAt: number;
}

export interface OnlineNotice {
  kind: 'camera_online';
  /** Length of the outage, seconds. */
  seconds: number;
  outageStartedAt: number;
}

export interface WatchdogVerdict {
  /** Stop the current ffmpeg: why, for the log and the camera state. */
  restart?: string;
  notice?: OfflineNotice;
}

export class CameraWatchdog {
  private lastFrameAt: number;
  private attemptAt: number;
  private framed = false;
  private offline: OfflineNotice | undefined;

  constructor(
    private readonly opts: WatchdogOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.lastFrameAt = now();
    this.attemptAt = this.lastFrameAt;
  }

  /** A new ffmpeg attempt starts: its own connect timeout, but the outage clock keeps running. */
  attemptStarted(): void {
    this.attemptAt = this.now();
  }

  /** A real frame arrived; returns the camera_online notice when an offline notice was raised. */
  frame(): OnlineNotice | undefined {
    const t = this.now();
    this.lastFrameAt = t;
    this.framed = true;
    const was = this.offline;
    this.offline = undefined;
    if (!was) return undefined;
    return {
      kind: 'camera_online',
      seconds: Math.round((t - was.outageStartedAt) / 1000),
      outageStartedAt: was.outageStartedAt,
    };
  }

  /** Epoch ms of the last real frame (the capture start before the first). */
  get lastFrameTime(): number {
    return this.lastFrameAt;
  }

  get isOffline(): boolean {
    return this.offline !== undefined;
  }

  /**
   * `live`: frames have come on this connection; `running`: an ffmpeg is up (no restart verdict otherwise);
   * `ended`: the source ended for good (a file), so silence is not an outage.
   */
  check(state: { live: boolean; running: boolean; ended?: boolean }): WatchdogVerdict {
    const t = this.now();
    const verdict: WatchdogVerdict = {};
    const connectS = Math.max(this.opts.watchdogSeconds, this.opts.connectTimeoutSeconds ?? 15);
    const stallMs = t - Math.max(this.lastFrameAt, this.attemptAt);
    const limitS = state.live ? this.opts.watchdogSeconds : connectS;
    if (state.running && stallMs > limitS * 1000) verdict.restart = `no frame for ${Math.round(stallMs / 1000)} s`;
    // Before the first frame ever, a slow first connection is not an outage yet.
    const offlineS = this.framed ? this.opts.offlineAlertSeconds : Math.max(this.opts.offlineAlertSeconds, connectS);
    const silentMs = t - this.lastFrameAt;
    if (!this.offline && !state.ended && silentMs > offlineS * 1000) {
      this.offline = {
        kind: 'camera_offline',
        seconds: Math.round(silentMs / 1000),
        outageStartedAt: this.lastFrameAt,
      };
      verdict.notice = this.offline;
    }
    return verdict;
  }
}
