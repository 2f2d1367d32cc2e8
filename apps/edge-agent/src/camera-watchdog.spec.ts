import { describe, expect, it } from 'vitest';
import { CameraWatchdog } from './camera-watchdog';

/** A synthetic clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CameraWatchdog', () => {
  it('raises camera_offline after the threshold even while reconnect attempts keep coming (defaults: 60 s, retries <= 30 s)', () => {
    const c = clock();
    const w = new CameraWatchdog({ watchdogSeconds: 10, offlineAlertSeconds: 60 }, c.now);
    w.frame();
    const lastFrame = c.now();
    const notices: { at: number; seconds: number; outageStartedAt: number }[] = [];
    // A 150 s outage: ffmpeg restarts with backoff 1, 2, 4, ... capped at 30 s; each attempt fails after 15 s.
    let delay = 1000;
    for (let elapsed = 0; elapsed < 150_000;) {
      w.attemptStarted();
      for (let i = 0; i < 30 && elapsed < 150_000; i++) {
        c.advance(500);
        elapsed += 500;
        const v = w.check({ live: false, running: true });
        if (v.notice)
          notices.push({ at: c.now(), seconds: v.notice.seconds, outageStartedAt: v.notice.outageStartedAt });
      }
      c.advance(delay);
      elapsed += delay;
      delay = Math.min(30_000, delay * 2);
    }
    expect(notices).toHaveLength(1);
    const [n] = notices;
    // Fired once the silence passed 60 s, not at the last attempt; the outage start is the last frame.
    expect(n!.seconds).toBeGreaterThan(60);
    expect(n!.seconds).toBeLessThan(62);
    expect(n!.outageStartedAt).toBe(lastFrame);
    expect(n!.at - n!.outageStartedAt).toBeGreaterThan(60_000);
  });

  it('restarts a stalled connection from the later of the last frame and the last attempt', () => {
    const c = clock();
    const w = new CameraWatchdog({ watchdogSeconds: 10, connectTimeoutSeconds: 15, offlineAlertSeconds: 600 }, c.now);
    w.frame();
    c.advance(9_000);
    expect(w.check({ live: true, running: true }).restart).toBeUndefined();
    c.advance(2_000);
    expect(w.check({ live: true, running: true }).restart).toBe('no frame for 11 s');
    // A new attempt gets its own connect timeout (15 s), though the outage clock keeps running.
    w.attemptStarted();
    c.advance(14_000);
    expect(w.check({ live: false, running: true }).restart).toBeUndefined();
    c.advance(2_000);
    expect(w.check({ live: false, running: true }).restart).toBe('no frame for 16 s');
    expect(w.check({ live: false, running: false }).restart).toBeUndefined();
  });

  it('says camera_online with the outage length when frames return, and nothing for an ended file', () => {
    const c = clock();
    const w = new CameraWatchdog({ watchdogSeconds: 5, offlineAlertSeconds: 20 }, c.now);
    w.frame();
    const start = c.now();
    c.advance(21_000);
    expect(w.check({ live: false, running: false }).notice?.kind).toBe('camera_offline');
    expect(w.check({ live: false, running: false }).notice).toBeUndefined();
    c.advance(9_000);
    expect(w.frame()).toEqual({ kind: 'camera_online', seconds: 30, outageStartedAt: start });
    expect(w.frame()).toBeUndefined();
    c.advance(60_000);
    expect(w.check({ live: false, running: false, ended: true }).notice).toBeUndefined();
  });

  it('gives a slow first connection the connect timeout before calling it an outage', () => {
    const c = clock();
    const w = new CameraWatchdog({ watchdogSeconds: 5, connectTimeoutSeconds: 15, offlineAlertSeconds: 10 }, c.now);
    c.advance(12_000);
    expect(w.check({ live: false, running: true }).notice).toBeUndefined();
    c.advance(4_000);
    expect(w.check({ live: false, running: true }).notice?.kind).toBe('camera_offline');
  });
});
