import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Polygon } from '@vigint/contracts';
import { MotionGate } from '@vigint/motion';
import { NUISANCE_SCENES, SCENES, sceneEvents, scoreMotion, type MotionScore } from '@vigint/motion/testing';
import type { FrameMotion } from '@vigint/event';
import { cadenceCalls, maintainerCalls, scoreCalls, type AiCalls, type CallScore } from '../lib/ai-call-sim';
import { BaselineMotionGate } from '../lib/baseline-motion-gate';
import { defineCase, type Sample } from '../lib/bench-case';
import { DETECT, detectFrames, footageDir, footagePath, renderSceneVideo } from '../lib/detection-footage';
import { median } from '../lib/stats';

const MANIFEST = join(import.meta.dirname, '../footage/manifest.json');
/** Hand labels are to the second: motion this long before a labeled start belongs to the event. */
const LEAD_SECONDS = 1;

interface ManifestClip {
  name: string;
  file: string;
  events: Array<[number, number]>;
  licence?: string;
  source?: unknown;
  obtain?: string;
}

interface Manifest {
  generated: { clips: ManifestClip[] };
  real: ManifestClip[];
}

interface Clip {
  name: string;
  real: boolean;
  nuisance: boolean;
  events: Array<{ start: number; end: number }>;
  mask: Polygon[];
  tailSeconds: number;
  frames: Uint8Array[];
}

interface GateRun {
  score: MotionScore;
  ns: number;
  /** When the agent would call the AI on this gate's output (an AI that always says "nothing wrong"). */
  calls: CallScore;
  skipped: number;
}

type GateResult = { motion: boolean; motionFraction?: number; boxes?: FrameMotion['boxes'] };
type Gate = { update(frame: Uint8Array): GateResult };
/** The current gate feeds the event maintainer (scene memory); the previous agent asked every 2 s of motion. */
type Scheduler = (results: readonly GateResult[]) => AiCalls;

const withSceneMemory: Scheduler = (results) =>
  maintainerCalls(
    results.map((r) => ({ motion: r.motion, boxes: r.boxes ?? [], area: r.motionFraction ?? 0 })),
    DETECT.fps,
  );
const fixedCadence: Scheduler = (results) =>
  cadenceCalls(
    results.map((r) => r.motion),
    DETECT.fps,
  );

/**
 * Continuous activity (one event over the whole clip) is looped to at least this long for the AI-call figures:
 * the goal is per minute of activity, and the real clips of it are 14-23 s.
 */
const CONTINUOUS_SECONDS = 60;

function runGate(make: () => Gate, schedule: Scheduler, clip: Clip): GateRun {
  const gate = make();
  const verdicts = [];
  const results: GateResult[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < clip.frames.length; i++) {
    const r = gate.update(clip.frames[i]!);
    results.push(r);
    verdicts.push({ t: i / DETECT.fps, motion: r.motion });
  }
  const ns = Number(process.hrtime.bigint() - started);
  const score = scoreMotion(verdicts, clip.events, {
    tailSeconds: clip.tailSeconds,
    leadSeconds: clip.real ? LEAD_SECONDS : 0,
  });
  const { asks, skipped } = schedule(results);
  return { score, ns, calls: scoreCalls(asks, clip.events, clip.real ? LEAD_SECONDS : 0), skipped };
}

/** A clip of continuous activity repeated to CONTINUOUS_SECONDS (its one event spans every copy). */
function looped(clip: Clip): Clip | undefined {
  const seconds = clip.frames.length / DETECT.fps;
  const e = clip.events[0];
  if (clip.events.length !== 1 || !e || e.start > 1 || e.end < seconds - 1 || seconds >= CONTINUOUS_SECONDS)
    return undefined;
  const times = Math.ceil(CONTINUOUS_SECONDS / seconds);
  const frames = Array.from({ length: times }, () => clip.frames).flat();
  return { ...clip, name: `${clip.name} x${times}`, frames, events: [{ start: 0, end: frames.length / DETECT.fps }] };
}

/**
 * Issue 12 §4: the motion gate and the previous one (bench/lib/baseline-motion-gate.ts) on the labeled
 * footage of bench/footage/manifest.json, each clip read as the agent reads a camera (160x90 gray, 5 fps,
 * ffmpeg scale flags=area). Generated scenes are rendered to H.264 first (cached under
 * $VIGINT_FOOTAGE_DIR/generated); real clips are used when present under $VIGINT_FOOTAGE_DIR and listed as
 * absent otherwise. Per clip: events reported (any motion frame in the event), false runs (motion runs with no
 * frame in an event: each would cost at least one AI call), motion frames, seconds from the event start to
 * the first motion frame; the gate's CPU per frame.
 */
export default defineCase({
  name: 'detection',
  description:
    'motion gate vs the previous gate on labeled generated and real footage: recall, false runs, latency; AI calls with the scene memory vs the fixed 2 s cadence',
  runs: 3,
  timeoutMs: 12 * 60_000,
  async setup(ctx) {
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as Manifest;
    const clips: Clip[] = [];
    for (const spec of SCENES) {
      const entry = manifest.generated.clips.find((c) => c.name === spec.name);
      const events = sceneEvents(spec);
      const labeled = JSON.stringify(events.map((e) => [e.start, e.end]));
      if (!entry || JSON.stringify(entry.events) !== labeled) {
        throw new Error(
          `bench/footage/manifest.json is out of date for scene ${spec.name}: the scene's events are ${labeled}`,
        );
      }
      const file = footagePath(entry.file);
      if (await renderSceneVideo(spec, file, ctx.signal)) ctx.log(`rendered ${entry.file}`);
      clips.push({
        name: spec.name,
        real: false,
        nuisance: NUISANCE_SCENES.has(spec.name),
        events,
        mask: spec.mask ?? [],
        tailSeconds: spec.expect?.tailSeconds ?? 1,
        frames: await detectFrames(file, ctx.signal),
      });
    }
    const absent: string[] = [];
    for (const entry of manifest.real) {
      const file = footagePath(entry.file);
      if (!(await stat(file).catch(() => undefined))) {
        absent.push(entry.file);
        ctx.log(`ABSENT real clip ${entry.file} (obtain: ${entry.obtain ?? 'see the manifest'})`);
        continue;
      }
      clips.push({
        name: entry.name,
        real: true,
        nuisance: false,
        events: entry.events.map(([start, end]) => ({ start, end })),
        mask: [],
        tailSeconds: 1,
        frames: await detectFrames(file, ctx.signal),
      });
    }
    ctx.log(`${clips.length} clips (${clips.filter((c) => c.real).length} real, footage in ${footageDir()})`);
    return { clips, absent };
  },
  async run({ clips, absent }, ctx, index) {
    const rows: Array<{ clip: Clip; now: GateRun; before: GateRun }> = [];
    const measure = (clip: Clip) => {
      const now = () => new MotionGate({ width: DETECT.width, height: DETECT.height, settings: { mask: clip.mask } });
      const before = () =>
        new BaselineMotionGate({ width: DETECT.width, height: DETECT.height, settings: { mask: clip.mask } });
      // Alternate which gate runs first so neither always gets the warmer cache.
      if (index % 2 === 0) {
        const a = runGate(now, withSceneMemory, clip);
        return { clip, now: a, before: runGate(before, fixedCadence, clip) };
      }
      const b = runGate(before, fixedCadence, clip);
      return { clip, now: runGate(now, withSceneMemory, clip), before: b };
    };
    for (const clip of clips) rows.push(measure(clip));
    // The AI-call figures on real footage use the continuous clips looped to a minute, the others as they are.
    const callRows = rows
      .filter((r) => r.clip.real)
      .map((r) => {
        const loop = looped(r.clip);
        return loop ? measure(loop) : r;
      });
    const totals = (real: boolean, side: 'now' | 'before') => {
      const mine = rows.filter((r) => r.clip.real === real && !r.clip.nuisance);
      const events = mine.flatMap((r) => r[side].score.events);
      return {
        recall: events.length ? events.filter((e) => e.detected).length / events.length : NaN,
        falseRuns: mine.reduce((s, r) => s + r[side].score.falseRuns, 0),
        minutes: mine.reduce((s, r) => s + r.clip.frames.length / DETECT.fps / 60, 0),
        runs: mine.reduce((s, r) => s + r[side].score.runs, 0),
        falseSeconds: mine.reduce((s, r) => s + r[side].score.falseFrames, 0) / DETECT.fps,
      };
    };
    const latencies = (side: 'now' | 'before') =>
      rows.flatMap((r) => r[side].score.events.filter((e) => e.detected).map((e) => e.latency!));
    const quietFraction = (side: 'now' | 'before') => {
      const quiet = rows.filter((r) => !r.clip.real && r.clip.events.length === 0 && !r.clip.nuisance);
      const frames = quiet.reduce((s, r) => s + r[side].score.frames, 0);
      return quiet.reduce((s, r) => s + r[side].score.motionFrames, 0) / frames;
    };
    const frames = rows.reduce((s, r) => s + r.clip.frames.length, 0);
    const ns = (side: 'now' | 'before') => rows.reduce((s, r) => s + r[side].ns, 0) / frames;
    const gen = { now: totals(false, 'now'), before: totals(false, 'before') };
    const real = { now: totals(true, 'now'), before: totals(true, 'before') };
    const callTotals = (side: 'now' | 'before') => {
      const minutes = callRows.reduce((s, r) => s + r.clip.frames.length / DETECT.fps / 60, 0);
      const sum = (f: (c: CallScore) => number) => callRows.reduce((s, r) => s + f(r[side].calls), 0);
      return {
        perMin: sum((c) => c.calls) / minutes,
        extraPerMin: sum((c) => c.extra) / minutes,
        missed: sum((c) => c.missed),
        firstCall: median(callRows.flatMap((r) => r[side].calls.firstCall)),
        skipped: callRows.reduce((s, r) => s + r[side].skipped, 0),
      };
    };
    const quietCalls = (side: 'now' | 'before') =>
      rows
        .filter((r) => !r.clip.real && r.clip.events.length === 0 && !r.clip.nuisance)
        .reduce((s, r) => s + r[side].calls.calls, 0);
    const perClipCalls = callRows.map((r) => ({
      clip: r.clip.name,
      minutes: Math.round((r.clip.frames.length / DETECT.fps / 60) * 100) / 100,
      events: r.clip.events.length,
      calls: r.now.calls.calls,
      callsBefore: r.before.calls.calls,
      skipped: r.now.skipped,
      firstCall: r.now.calls.firstCall.map((x) => x.toFixed(1)).join(' ') || '-',
    }));
    const perClip = rows.map((r) => ({
      clip: r.clip.name,
      real: r.clip.real,
      events: r.clip.events.length,
      detected: r.now.score.events.filter((e) => e.detected).length,
      detectedBefore: r.before.score.events.filter((e) => e.detected).length,
      falseRuns: r.now.score.falseRuns,
      falseRunsBefore: r.before.score.falseRuns,
      falseSeconds: r.now.score.falseFrames / DETECT.fps,
      falseSecondsBefore: r.before.score.falseFrames / DETECT.fps,
      motionFrames: round3(r.now.score.motionFrames / r.now.score.frames),
      motionFramesBefore: round3(r.before.score.motionFrames / r.before.score.frames),
      firstMotion: latencyText(r.now.score),
      firstMotionBefore: latencyText(r.before.score),
    }));
    if (index === 0) {
      ctx.log(`per clip:\n${markdown(perClip)}${absent.length ? `\nabsent: ${absent.join(', ')}` : ''}`);
      ctx.log(`AI calls on real footage (an AI that always says "nothing wrong"):\n${callsMarkdown(perClipCalls)}`);
    }
    const detail = {
      perClip,
      perClipCalls,
      absent,
      realClips: rows.filter((r) => r.clip.real).map((r) => r.clip.name),
    };
    const samples: Sample[] = [
      {
        metric: 'detection.generated-recall',
        value: gen.now.recall,
        baseline: gen.before.recall,
        unit: 'fraction',
        goal: { on: 'value', op: '>=', target: 1 },
        detail,
      },
      {
        metric: 'detection.generated-false-runs',
        value: gen.now.falseRuns,
        baseline: gen.before.falseRuns,
        unit: 'runs',
        goal: { on: 'value', op: '==', target: 0 },
      },
      {
        metric: 'detection.quiet-motion-frames',
        value: quietFraction('now'),
        baseline: quietFraction('before'),
        unit: 'fraction',
        goal: { on: 'value', op: '==', target: 0 },
      },
      {
        metric: 'detection.first-motion-p50',
        value: median(latencies('now')),
        baseline: median(latencies('before')),
        unit: 's',
      },
      { metric: 'detection.gate-cpu', value: ns('now'), baseline: ns('before'), unit: 'ns/frame' },
      {
        metric: 'detection.quiet-ai-calls',
        value: quietCalls('now'),
        baseline: quietCalls('before'),
        unit: 'calls',
        goal: { on: 'value', op: '==', target: 0 },
      },
    ];
    if (real.now.minutes > 0) {
      samples.push(
        {
          metric: 'detection.real-recall',
          value: real.now.recall,
          baseline: real.before.recall,
          unit: 'fraction',
          goal: { on: 'value', op: '>=', target: 1 },
        },
        {
          metric: 'detection.real-false-runs',
          value: real.now.falseRuns,
          baseline: real.before.falseRuns,
          unit: 'runs',
        },
        {
          metric: 'detection.real-motion-outside-events',
          value: real.now.falseSeconds,
          baseline: real.before.falseSeconds,
          unit: 's',
        },
        {
          metric: 'detection.real-motion-runs-per-min',
          value: real.now.runs / real.now.minutes,
          baseline: real.before.runs / real.before.minutes,
          unit: '/min',
        },
      );
      const calls = { now: callTotals('now'), before: callTotals('before') };
      samples.push(
        {
          metric: 'detection.real-ai-calls-per-min',
          value: calls.now.perMin,
          baseline: calls.before.perMin,
          unit: '/min',
        },
        {
          metric: 'detection.real-extra-ai-calls-per-min',
          value: calls.now.extraPerMin,
          baseline: calls.before.extraPerMin,
          unit: '/min',
          goal: { on: 'value', op: '<=', target: 6 },
        },
        {
          metric: 'detection.real-events-without-ai-call',
          value: calls.now.missed,
          baseline: calls.before.missed,
          unit: 'events',
          goal: { on: 'value', op: '==', target: 0 },
        },
        {
          metric: 'detection.real-first-ai-call-p50',
          value: calls.now.firstCall,
          baseline: calls.before.firstCall,
          unit: 's',
        },
        { metric: 'detection.real-ai-calls-skipped', value: calls.now.skipped, unit: 'calls' },
      );
    }
    return samples;
  },
});

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function latencyText(score: MotionScore): string {
  const l = score.events.filter((e) => e.detected).map((e) => e.latency!.toFixed(1));
  return l.length ? l.join(' ') : '-';
}

function markdown(rows: Array<Record<string, string | number | boolean>>): string {
  const head =
    '| clip | events | reported now / before | false runs now / before | motion outside events (s) now / before | motion frames now / before | first motion (s) now / before |\n|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.clip}${r.real ? ' (real)' : ''} | ${r.events} | ${r.detected} / ${r.detectedBefore} | ${r.falseRuns} / ${r.falseRunsBefore} | ${(r.falseSeconds as number).toFixed(1)} / ${(r.falseSecondsBefore as number).toFixed(1)} | ${pct(r.motionFrames as number)} / ${pct(r.motionFramesBefore as number)} | ${r.firstMotion} / ${r.firstMotionBefore} |`,
  );
  return [head, ...body].join('\n');
}

function callsMarkdown(rows: Array<Record<string, string | number>>): string {
  const head =
    '| clip | minutes | events | AI calls now / before | skipped by the scene memory | first call after event start (s) |\n|---|---|---|---|---|---|';
  const body = rows.map(
    (r) => `| ${r.clip} | ${r.minutes} | ${r.events} | ${r.calls} / ${r.callsBefore} | ${r.skipped} | ${r.firstCall} |`,
  );
  return [head, ...body].join('\n');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
