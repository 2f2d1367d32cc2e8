import { describe, expect, it, vi } from 'vitest';
import {
  AlertLanguage,
  AnalysisStage,
  CameraState,
  ErrorCode,
  IncidentType,
  MotionSettings,
  RiskLevel,
  type AnalysisResult,
} from '@vigint/contracts';
import type { VideoInfo } from '@vigint/ffmpeg';
import { silentLogger } from '@vigint/logger';
import { Value } from '@sinclair/typebox/value';
import type { AnalyzeRequest, Incident, IncidentBackend } from './backend';
import type { CameraCapture, CaptureHandlers } from './camera-capture';
import type { CameraConfig } from './config';
import { CameraPipeline, type ClipCutter } from './pipeline';
import { SegmentIndex } from './segment-index';

const W = 160;
const H = 90;
const FPS = 5;

function frame(blockX?: number): Uint8Array {
  const f = new Uint8Array(W * H);
  for (let i = 0; i < f.length; i++) f[i] = 90 + ((i * 7919) % 13);
  if (blockX !== undefined) {
    for (let y = 30; y < 70; y++) for (let x = blockX; x < blockX + 14 && x < W; x++) f[y * W + x] = 230;
  }
  return f;
}

function result(risk: RiskLevel): AnalysisResult {
  const incident = risk !== RiskLevel.None && risk !== RiskLevel.Low;
  return {
    has_security_incident: incident,
    incident_detected: incident,
    incident,
    incident_type: incident ? IncidentType.Intrusion : IncidentType.None,
    risk_level: risk,
    analysis: 'test',
    description: 'test',
    confidence: 0.9,
    frame_count: 2,
    frame_indexes: [],
    model: 'fake',
    offline: false,
    token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    ai_calls: [
      {
        stage: AnalysisStage.Screen,
        model: 'fake',
        images: 2,
        image_bytes: 10,
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        duration_ms: 1,
      },
    ],
  };
}

function setup(risk: RiskLevel, options: { clipFails?: boolean } = {}) {
  const camera: CameraConfig = {
    id: 'cam',
    name: 'Cam',
    source: '/dev/null',
    kind: 'file',
    loop: false,
    rtspTransport: 'auto',
    analysisEnabled: true,
    alertEnabled: true,
    motion: Value.Default(MotionSettings, {}) as MotionSettings,
    record: { pre_capture: 10, post_capture: 5, max_clip: 30 },
    threshold: RiskLevel.Medium,
    detectFps: FPS,
    sampleInterval: 2,
    sceneMemorySeconds: 30,
    cooldownSeconds: 60,
    language: AlertLanguage.En,
    languageSet: false,
  };
  let now = 0;
  const segments = new SegmentIndex();
  const capture = {
    width: W,
    height: H,
    state: CameraState.Ended,
    segments,
    get now() {
      return now;
    },
    snapshotsBetween: async () => [Buffer.from('jpeg-a'), Buffer.from('jpeg-b')],
    // Two-second segments from 0 to 120 s, "already recorded".
    segmentsBetween: (from: number, to: number) =>
      Array.from({ length: 60 }, (_, i) => ({ file: `seg-${i}.ts`, start: i * 2, end: i * 2 + 2 })).filter(
        (s) => s.end > from && s.start < to,
      ),
    refreshSegments: async () => undefined,
    run: async (_h: CaptureHandlers) => CameraState.Ended,
  };
  const analyzed: AnalyzeRequest[] = [];
  const delivered: Array<{ incident: Incident; clip: string | undefined }> = [];
  const cuts: Array<{ files: string[]; startTime: number; endTime: number }> = [];
  const backend: IncidentBackend = {
    mode: 'local',
    describe: () => 'fake',
    announce: async () => undefined,
    heartbeat: async () => undefined,
    analyze: async (req) => {
      analyzed.push(req);
      return result(risk);
    },
    deliver: async (incident, clip) => {
      delivered.push({ incident, clip });
      return { status: 'sent', destination: '/outbox/x.eml' };
    },
    notify: async () => ({ status: 'sent', destination: '' }),
    close: async () => undefined,
  };
  const clips: ClipCutter = {
    cutClip: async (plan, file) => {
      cuts.push({ files: plan.segmentFiles, startTime: plan.startTime, endTime: plan.endTime });
      if (options.clipFails)
        return {
          ok: false,
          clipError: 'the clip could not be made: the recording is unreadable',
          code: ErrorCode.InvalidVideo,
        };
      return { ok: true, file, info: {} as VideoInfo, method: 'copy', reason: 'test', earlyStartSeconds: 0 };
    },
  };
  const pipeline = new CameraPipeline(
    camera,
    capture as unknown as CameraCapture,
    backend,
    clips,
    {
      fast: true,
      shortBufferSeconds: 3,
      longBufferSeconds: 10,
      workDir: '/tmp/vigint-pipeline-spec',
    },
    silentLogger,
  );
  const feed = async (seconds: number, moving: boolean) => {
    const n = seconds * FPS;
    for (let i = 0; i < n; i++) {
      await pipeline.onFrame(frame(moving ? (i * 3) % (W - 14) : undefined), now);
      now += 1 / FPS;
    }
  };
  return { pipeline, analyzed, delivered, cuts, feed, capture, setNow: (t: number) => (now = t) };
}

describe('CameraPipeline', () => {
  it('sends nothing to the backend while the scene is still', async () => {
    const t = setup(RiskLevel.High);
    await t.feed(30, false);
    await t.pipeline.finish();
    expect(t.pipeline.stats.framesRead).toBe(150);
    expect(t.pipeline.stats.motionFrames).toBe(0);
    expect(t.analyzed).toHaveLength(0);
  });

  it('samples one frame set every 2 s while there is motion, opens one incident, cuts one clip with pre/post roll', async () => {
    const t = setup(RiskLevel.High);
    await t.feed(20, false);
    await t.feed(4, true); // motion 20-24 s: one analysis opens the incident at once
    await t.feed(10, false); // post-roll 5 s closes it
    await t.pipeline.finish();
    expect(t.analyzed).toHaveLength(1);
    expect(t.pipeline.stats.incidents).toBe(1);
    expect(t.pipeline.stats.aiCalls).toBe(1);
    expect(t.delivered).toHaveLength(1);
    expect(t.cuts).toHaveLength(1);
    const cut = t.cuts[0]!;
    // Event start ≈ 20 s → clip from ≈ 10 s (pre-roll) to ≈ 29 s (last motion + post-roll), on segment times.
    const base = Number(/seg-(\d+)/.exec(cut.files[0]!)![1]) * 2;
    expect(base + cut.startTime).toBeCloseTo(10, 0);
    expect(base + cut.endTime).toBeGreaterThan(28);
    const inc = t.delivered[0]!.incident;
    expect(inc.idempotencyKey).toMatch(/^cam-\d+$/);
    expect(inc.riskLevel).toBe(RiskLevel.High);
    expect(t.pipeline.stats.alerts[0]).toMatchObject({ status: 'sent', destination: '/outbox/x.eml' });
  });

  it('backs off below the threshold (scene memory), and the cooldown stops a second alert', async () => {
    const low = setup(RiskLevel.Low);
    await low.feed(5, false);
    await low.feed(10, true);
    await low.pipeline.finish();
    // The fixed cadence asked 5 times in 10 s of motion; after "nothing wrong" at 5 s and 7 s the waits are 4 s, then 8 s.
    expect(low.analyzed).toHaveLength(3);
    expect(low.pipeline.stats.skipped).toBe(2);
    expect(low.pipeline.stats.incidents).toBe(0);
    expect(low.delivered).toHaveLength(0);

    const high = setup(RiskLevel.High);
    await high.feed(5, false);
    await high.feed(3, true);
    await high.feed(8, false); // incident closed, cooldown 60 s starts
    await high.feed(3, true); // within the cooldown: no analysis at all
    await high.pipeline.finish();
    expect(high.analyzed).toHaveLength(1);
    expect(high.delivered).toHaveLength(1);
  });

  it('delivers an incident open when the stream stops at once, not when the camera returns', async () => {
    const t = setup(RiskLevel.High);
    let resume!: () => void;
    const back = new Promise<void>((r) => (resume = r));
    let deliveredWhileDown = -1;
    t.capture.run = async (h: CaptureHandlers) => {
      await t.feed(5, false);
      await t.feed(3, true); // the incident opens; the stream drops 3 s in, before the 5 s post-roll is over
      t.capture.state = CameraState.Reconnecting;
      h.onState?.(CameraState.Reconnecting, { attempt: 1, reason: 'no frame for 10 s' });
      // The camera stays away: wait until the delivery has had every chance to run, then look.
      for (let i = 0; i < 20 && t.delivered.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      deliveredWhileDown = t.delivered.length;
      resume();
      await back;
      t.capture.state = CameraState.Ended;
      return CameraState.Ended;
    };
    await t.pipeline.run();
    expect(deliveredWhileDown).toBe(1);
    expect(t.delivered).toHaveLength(1);
    expect(t.pipeline.stats.alerts[0]).toMatchObject({ kind: 'incident', status: 'sent' });
    // The clip ends at the last frame before the drop.
    expect(t.pipeline.stats.alerts[0]!.clipRange![1]).toBeCloseTo(7.8, 1);
  });

  it('on continuous activity the alert goes max_clip after the event start; activity after it is a follow-up', async () => {
    const t = setup(RiskLevel.High);
    await t.feed(10, false);
    await t.feed(35, true); // motion 10-45 s: the clip is cut at 40 s while people still move
    expect(t.delivered).toHaveLength(0);
    // Delivered while the activity goes on (the delivery runs beside the frames).
    await vi.waitFor(() => expect(t.delivered).toHaveLength(1), { timeout: 20_000, interval: 20 });
    // Event start ≈ 10 s (the gate reports an object from its second frame): pre-roll 10 s + max clip 30 s.
    const alert = t.pipeline.stats.alerts[0]!;
    expect(alert.kind).toBe('incident');
    expect(alert.clipRange![1]).toBeCloseTo(40, 0);
    expect(alert.clipRange![1] - alert.clipRange![0]).toBeCloseTo(40, 5);
    await t.feed(20, true);
    await t.feed(10, false);
    await t.pipeline.finish();
    expect(t.delivered).toHaveLength(1); // one e-mail for the whole activity
    const follow = t.pipeline.stats.alerts.filter((a) => a.kind === 'follow_up');
    expect(follow).toHaveLength(1);
    // From the end of the alert clip to the last motion (about 65 s) + the 5 s post-roll.
    expect(follow[0]).toMatchObject({ status: 'recorded' });
    expect(follow[0]!.clipRange![0]).toBe(alert.clipRange![1]);
    expect(follow[0]!.clipRange![1]).toBeCloseTo(70, 0);
    expect(t.analyzed).toHaveLength(1);
  });

  it('still alerts, with the snapshot and the reason, when the clip cannot be made', async () => {
    const t = setup(RiskLevel.High, { clipFails: true });
    await t.feed(20, false);
    await t.feed(4, true);
    await t.feed(10, false);
    await t.pipeline.finish();
    expect(t.delivered).toHaveLength(1);
    expect(t.delivered[0]!.clip).toBeUndefined();
    expect(t.delivered[0]!.incident.snapshot).toBeDefined();
    expect(t.delivered[0]!.incident.clipError).toMatch(/clip could not be made/);
    expect(t.pipeline.stats.alerts[0]).toMatchObject({
      status: 'sent',
      detail: expect.stringMatching(/clip could not/),
    });
  });
});
