import type { CameraState } from '@vigint/contracts';
import type { CameraStats } from './camera-stats';

export interface CameraView {
  id: string;
  state: CameraState;
  stats: CameraStats;
  motion: boolean;
}

/**
 * The live status line on a TTY (one line for all cameras, redrawn in place) and the summary at exit.
 * Plain functions of the pipelines' counters, so they are easy to test and cost nothing when unused.
 */
export class StatusReporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastFrames = new Map<string, { frames: number; at: number }>();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly views: () => CameraView[],
    /** One phrase about the whole agent (the gateway unreachable, failover or outbox), shown after the cameras. */
    private readonly note: () => string | undefined = () => undefined,
  ) {}

  get live(): boolean {
    return this.out.isTTY === true;
  }

  start(intervalMs = 1000): void {
    if (!this.live) return;
    this.timer = setInterval(() => this.draw(), intervalMs);
    this.timer.unref();
  }

  /** Prints a line above the status line without breaking it. */
  print(line: string): void {
    if (this.live) this.out.write('\r\x1b[K');
    this.out.write(`${line}\n`);
  }

  private draw(): void {
    const now = Date.now();
    const parts = this.views().map((v) => {
      const prev = this.lastFrames.get(v.id);
      const fps = prev ? ((v.stats.framesRead - prev.frames) * 1000) / Math.max(1, now - prev.at) : 0;
      this.lastFrames.set(v.id, { frames: v.stats.framesRead, at: now });
      return formatStatus(v, fps);
    });
    const note = this.note();
    this.out.write(`\r\x1b[K${[...parts, ...(note ? [note] : [])].join(' | ')}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.out.write('\r\x1b[K');
  }
}

export function formatStatus(v: CameraView, fps: number): string {
  const s = v.stats;
  const skipped = s.skipped ? ` (${s.skipped} skipped: scene unchanged)` : '';
  return `${v.id}: ${v.state} ${fps.toFixed(1)} fps ${v.motion ? 'MOTION' : 'still'} · AI ${s.aiCalls}/${s.analyses}${skipped} · incidents ${s.incidents}`;
}

export function formatSummary(views: CameraView[]): string {
  const lines: string[] = ['Summary:'];
  for (const v of views) {
    const s = v.stats;
    // A suppressed (duplicate scene, disabled camera) or failed alert is not an alert sent.
    const alerts = s.alerts.filter((a) => a.kind !== 'follow_up');
    const sent = alerts.filter((a) => a.status === 'sent' || a.status === 'queued').length;
    lines.push(
      `  ${v.id} (${v.state}): frames read ${s.framesRead}, frames with motion ${s.motionFrames}, ` +
        `analyses ${s.analyses}, AI calls ${s.aiCalls}, skipped by the scene memory ${s.skipped}, ` +
        `incidents ${s.incidents}, alerts sent ${sent}` +
        (alerts.length > sent ? `, not sent ${alerts.length - sent}` : '') +
        (s.errors ? `, errors ${s.errors}` : ''),
    );
    for (const a of s.alerts) {
      const where = a.destination || '(nowhere)';
      const latency = a.latencyMs !== undefined ? `, ${(a.latencyMs / 1000).toFixed(1)} s after the event started` : '';
      const clip = a.clipRange ? `, clip ${a.clipRange[0]}-${a.clipRange[1]} s` : '';
      const what = [a.kind, a.riskLevel, a.status].filter(Boolean).join(' ');
      lines.push(`    - ${what} → ${where}${clip}${latency}${a.detail ? ` (${a.detail})` : ''}`);
    }
  }
  return lines.join('\n');
}
