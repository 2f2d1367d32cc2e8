import { SceneMemory, type Novelty, type SceneObservation, type SceneMemoryOptions } from './scene-memory';

/** Seconds on the camera's timeline (the time of the frame being handled). Tests pass a synthetic clock. */
export interface EventClock {
  now(): number;
}

export interface EventSettings {
  /** Shortest time between two AI samples of one motion run (the earlier fixed cadence). */
  sampleInterval: number;
  /** Motion pauses shorter than this belong to the same motion run. */
  motionGap: number;
  preCapture: number;
  postCapture: number;
  /** After an incident closes, no analysis and no new incident for this long. */
  cooldown: number;
  /** The alert clip ends at most this long after the event start; the alert goes then. */
  maxClip: number;
  /** False: motion is tracked but nothing is sent to the AI (analysis_enabled: false). */
  analysisEnabled: boolean;
  /** Longest wait before asking again about an unchanged ongoing scene. Default 60 s. */
  recheckCap?: number;
  /** Longest wait before asking about something new in an ongoing scene. Default 15 s. */
  noveltyCap?: number;
  /**
   * A motion run that starts this soon after the previous one ended, when the AI had called that scene calm,
   * continues its scene memory and backoff instead of starting over (still asked at once). Real footage breaks
   * ordinary activity into many short runs: people stop, are absorbed by the gate, move on. 0 turns it off.
   * Default 30 s.
   */
  sceneMemory?: number;
  scene?: SceneMemoryOptions;
}

export interface FrameMotion extends SceneObservation {
  motion: boolean;
}

/** Why frames go to the AI: a new motion run, something new in the scene, the backed-off recheck, or a retry. */
export type AnalyzeReason = 'run-start' | Novelty | 'recheck' | 'retry';

export type EventAction =
  /** Send the frames up to now to the AI, then call `verdict()`. */
  | { type: 'analyze'; at: number; reason: AnalyzeReason }
  /** The verdict reached the threshold: an incident is open from `start` (motion run start). */
  | { type: 'opened'; start: number; at: number }
  /**
   * Cut [from, to] and deliver it: `alert` once per incident (the e-mail), then a `follow-up` for each further
   * stretch of activity of at most `maxClip` seconds (recorded with the incident, no e-mail).
   */
  | { type: 'clip'; part: 'alert' | 'follow-up'; start: number; from: number; to: number }
  /** The incident is over: `end` is its final end time. The cooldown starts. */
  | { type: 'closed'; start: number; end: number; reason: 'post-roll' | 'source-lost' };

export interface EventStats {
  /** Frames sent to the AI (one analysis each). */
  asked: number;
  /** Samples the fixed cadence would have taken that the scene memory skipped. */
  skipped: number;
  incidents: number;
}

interface OpenIncident {
  start: number;
  lastMotion: number;
  /** Where the next clip of this incident starts; after the alert, the follow-ups go on from here. */
  clipFrom: number;
  alerted: boolean;
}

interface Pending {
  at: number;
  runStart: number;
}

/**
 * One camera's event state machine, free of I/O and wall time: motion runs (pauses under `motionGap` join
 * them), when to ask the AI (at once at the start of a motion run, then only when the scene memory sees
 * something new or after a doubling recheck interval), incident open, the alert clip cut at most `maxClip`
 * after the event start, follow-up clips while activity goes on, close after the post-roll, cooldown.
 * The caller feeds frames and verdicts and carries out the returned actions (docs/architecture.md).
 */
export class EventMaintainer {
  readonly stats: EventStats = { asked: 0, skipped: 0, incidents: 0 };
  private readonly scene: SceneMemory;
  private runStart: number | undefined;
  private lastMotion = -Infinity;
  private lastAsk = -Infinity;
  /** Calm verdicts in this scene (this motion run, or neighbouring ones): each doubles the wait before asking again. */
  private calm = 0;
  /** The AI has called the current scene calm and no incident opened since: a neighbouring run continues it. */
  private sceneCalm = false;
  /** The first wait of this run's backoff: `sampleInterval` for a fresh scene, twice that for a continued one. */
  private firstRecheck: number;
  private failed = false;
  private nextCadenceSlot = -Infinity;
  private cooldownUntil = -Infinity;
  private pending: Pending | undefined;
  private incident: OpenIncident | undefined;

  constructor(
    private readonly settings: EventSettings,
    private readonly clock: EventClock,
  ) {
    this.scene = new SceneMemory(settings.scene);
    this.firstRecheck = settings.sampleInterval;
  }

  /** An analysis is out (its verdict not yet given). */
  get analyzing(): boolean {
    return this.pending !== undefined;
  }

  get open(): boolean {
    return this.incident !== undefined;
  }

  get inCooldown(): boolean {
    return this.clock.now() < this.cooldownUntil;
  }

  /** One frame's motion. */
  frame(m: FrameMotion): EventAction[] {
    const t = this.clock.now();
    if (m.motion) {
      if (this.runStart === undefined || t - this.lastMotion > this.settings.motionGap) this.startRun(t);
      this.lastMotion = t;
    }
    if (this.incident) return this.advance(t, m.motion);
    if (!m.motion) return [];
    const novelty = this.scene.observe(m);
    if (!this.settings.analysisEnabled || t < this.cooldownUntil || this.pending) return [];
    const reason = this.askReason(t, novelty);
    if (reason) return [this.ask(t, reason)];
    if (t >= this.nextCadenceSlot) {
      this.stats.skipped++;
      this.nextCadenceSlot = t + this.settings.sampleInterval;
    }
    return [];
  }

  /**
   * The verdict on the last `analyze`: `alert` when it reached the camera's threshold, `calm` when it did not,
   * `error` when the analysis failed (asked again after `sampleInterval`).
   */
  verdict(v: 'alert' | 'calm' | 'error'): EventAction[] {
    const p = this.pending;
    if (!p) return [];
    this.pending = undefined;
    const t = this.clock.now();
    if (v === 'error') {
      this.failed = true;
      return [];
    }
    this.failed = false;
    if (v === 'calm') {
      if (p.runStart === this.runStart) {
        this.calm++;
        this.scene.calm();
        this.sceneCalm = true;
      }
      return [];
    }
    this.sceneCalm = false;
    if (this.incident || t < this.cooldownUntil) return [];
    const start = p.runStart;
    this.incident = {
      start,
      lastMotion: Math.max(this.lastMotion, p.at),
      clipFrom: this.clipStart(start),
      alerted: false,
    };
    this.stats.incidents++;
    return [{ type: 'opened', start, at: t }, ...this.advance(t, false)];
  }

  /**
   * The source stopped (stream lost, file ended, agent stopping): an open incident is cut with what was recorded
   * up to now and closed at once rather than when frames come back. The next frame starts a new motion run.
   */
  sourceLost(): EventAction[] {
    const t = this.clock.now();
    this.runStart = undefined;
    this.sceneCalm = false;
    this.scene.reset();
    const inc = this.incident;
    if (!inc) return [];
    const end = Math.min(t, inc.lastMotion + this.settings.postCapture);
    return this.close(t, inc, end, 'source-lost');
  }

  private startRun(t: number): void {
    const continues =
      this.runStart !== undefined && this.sceneCalm && t - this.lastMotion <= (this.settings.sceneMemory ?? 30);
    this.runStart = t;
    this.failed = false;
    this.calm = 0;
    // A fresh scene is rechecked one interval after its first look (someone may only be entering); a continued
    // one has been looked at, so twice that. Longer waits missed newcomers walking in behind someone leaving,
    // until they next moved (20 s on the one-by-one clip at 15 s; the detection bench has the figures).
    const base = this.settings.sampleInterval;
    this.firstRecheck = continues ? 2 * base : base;
    if (continues) return;
    this.sceneCalm = false;
    this.scene.reset();
  }

  /**
   * Seconds to wait after an ask before asking again about the same, unchanged scene: `firstRecheck` after the
   * run's first verdict, then doubling up to `recheckCap`.
   */
  private recheckGap(): number {
    const cap = Math.max(this.settings.sampleInterval, this.settings.recheckCap ?? 60);
    return Math.min(cap, this.firstRecheck * 2 ** Math.max(0, this.calm - 1));
  }

  /** Longest wait before asking about something new (never shorter than the sample interval). */
  private noveltyGap(): number {
    return Math.max(this.settings.sampleInterval, this.settings.noveltyCap ?? 15);
  }

  private askReason(t: number, novelty: Novelty | undefined): AnalyzeReason | undefined {
    const since = t - this.lastAsk;
    const { sampleInterval } = this.settings;
    if (this.lastAsk < (this.runStart ?? t)) return 'run-start';
    if (since < sampleInterval) return undefined;
    if (this.failed || !this.scene.hasKnownScene) return 'retry';
    const recheck = this.recheckGap();
    if (since >= recheck) return 'recheck';
    if (novelty && since >= Math.min(this.noveltyGap(), recheck)) return novelty;
    return undefined;
  }

  private ask(t: number, reason: AnalyzeReason): EventAction {
    this.lastAsk = t;
    this.nextCadenceSlot = t + this.settings.sampleInterval;
    this.pending = { at: t, runStart: this.runStart ?? t };
    this.scene.sampled();
    this.stats.asked++;
    return { type: 'analyze', at: t, reason };
  }

  private clipStart(start: number): number {
    return Math.max(0, start - this.settings.preCapture);
  }

  /** An open incident at time t: close after the post-roll, cut the alert at max clip, then follow-ups. */
  private advance(t: number, motion: boolean): EventAction[] {
    const inc = this.incident!;
    if (motion) inc.lastMotion = t;
    const { postCapture, maxClip } = this.settings;
    const quietEnd = inc.lastMotion + postCapture;
    const partEnd = inc.alerted ? inc.clipFrom + maxClip : inc.start + maxClip;
    if (t >= quietEnd && quietEnd <= partEnd) return this.close(t, inc, quietEnd, 'post-roll');
    if (t < partEnd) return [];
    // Activity goes on past the clip's limit: this part goes now, the incident stays open.
    const part = this.clipAction(inc, partEnd);
    inc.alerted = true;
    inc.clipFrom = partEnd;
    return [part];
  }

  private clipAction(inc: OpenIncident, to: number): EventAction {
    return { type: 'clip', part: inc.alerted ? 'follow-up' : 'alert', start: inc.start, from: inc.clipFrom, to };
  }

  private close(t: number, inc: OpenIncident, end: number, reason: 'post-roll' | 'source-lost'): EventAction[] {
    this.incident = undefined;
    this.cooldownUntil = t + this.settings.cooldown;
    const out: EventAction[] = [];
    // A follow-up only when there was activity after the previous part; the alert always goes.
    if (!inc.alerted || inc.lastMotion > inc.clipFrom) out.push(this.clipAction(inc, Math.max(end, inc.clipFrom)));
    out.push({ type: 'closed', start: inc.start, end: Math.max(end, inc.clipFrom), reason });
    return out;
  }
}
