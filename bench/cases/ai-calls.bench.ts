import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { INCIDENT_VERDICT, NO_INCIDENT_VERDICT, geminiReply, startFakeGemini } from '@vigint/testing';
import { defineCase, type Sample } from '../lib/bench-case';
import { runAgent, writeAgentConfig, type AgentRunResult } from '../lib/agent';
import { billOf, naiveBill, stageBills, thinkingTokensOf, type AiBill, type StageBill } from '../lib/ai-cost';
import { SWAY_MASK, makeFootage } from '../lib/footage';
import { FAKE_KEY } from '../lib/stack';

const HOUR = 3600;
/** A camera-month: 30 days of the hour's rate. */
const MONTH_HOURS = 30 * 24;
const EVENTS_PER_BUSY_HOUR = 12;
/**
 * Events 80 s apart: an event ends ~9 s after it starts (4 s crossing + 5 s post-roll) and the camera's
 * default 60 s cooldown follows, and the alert's duplicate-scene window is 60 s too; closer events are
 * deliberately not re-alerted. A busy real hour (12 events) has them ~5 min apart.
 */
const BUSY_EVENTS = [20, 100, 180, 260, 340, 420];
/** A quiet minute after the last event lets its post-roll and delivery finish before the file ends. */
const BUSY_SECONDS = 480;
const QUIET_SECONDS = 180;
const FRAME = { width: 640, height: 360 };

/**
 * Issue 8 §1: the edge agent (`--fast`, local mode, fake Gemini with a key so real requests are made
 * and counted) on generated 640x360 10 fps footage, against the naive policy of one frame per second.
 * - quiet: sensor noise, light drifting ±6 %, a tree swaying inside a masked zone — should cost nothing;
 * - busy: the same scene with 6 people crossing 80 s apart (the fake answers "intrusion, HIGH").
 * Per camera-hour figures are scaled: a busy hour = 12 events (twice the busy clip) + the rest of the
 * hour at the quiet clip's rate.
 */
export default defineCase({
  name: 'ai-calls',
  description: 'edge agent --fast on quiet and busy footage: AI calls, tokens and cost per camera-hour vs 1 frame/s',
  runs: 2,
  timeoutMs: 6 * 60_000,
  async setup(ctx) {
    const dir = join(ctx.tmp, 'footage');
    await mkdir(dir);
    const [quiet, busy] = await Promise.all([
      makeFootage(dir, 'quiet', { seconds: QUIET_SECONDS, ...FRAME }),
      makeFootage(dir, 'busy', { seconds: BUSY_SECONDS, events: BUSY_EVENTS, ...FRAME }),
    ]);
    const gemini = await startFakeGemini({ apiKey: FAKE_KEY, defaultReply: geminiReply.incident() });
    ctx.defer(() => gemini.close());
    return { quiet, busy, gemini };
  },
  async run({ quiet, busy, gemini }, ctx, index) {
    const agent = async (
      id: string,
      video: string,
    ): Promise<{
      run: AgentRunResult;
      bill: AiBill;
      stages: { screen: StageBill; confirm: StageBill };
      prompt?: string;
    }> => {
      gemini.reset();
      // Each reply reports the thinking tokens its request asked for (MINIMAL screen, LOW confirm).
      gemini.setHandler((req) => geminiReply.incident({}, { thoughtsTokenCount: thinkingTokensOf(req) }));
      const config = await writeAgentConfig(join(ctx.tmp, `${id}-${index}.yaml`), { id, video, mask: [SWAY_MASK] });
      const run = await runAgent({
        args: ['--config', config, '--fast'],
        outbox: join(ctx.tmp, `outbox-${id}-${index}`),
        env: { GOOGLE_API_KEY: FAKE_KEY, GEMINI_BASE_URL: gemini.baseUrl },
        timeoutMs: 150_000,
        signal: ctx.signal,
      });
      // Exit 1 = an alert could not be delivered: counted below as an event not alerted, not a crash.
      if (run.code !== 0 && run.code !== 1)
        throw new Error(`agent on ${id} exited ${run.code}:\n${run.output.slice(-3000)}`);
      const bill = billOf(gemini.requests, JSON.stringify(INCIDENT_VERDICT).length);
      const stages = stageBills(gemini.requests, JSON.stringify(INCIDENT_VERDICT).length);
      const prompt = gemini.requests.find((r) => r.model.includes('lite'))?.prompt;
      ctx.log(
        `${id}: ${run.seconds.toFixed(1)} s, ${bill.requests} AI requests, ${run.emlFiles.length} .eml, ` +
          `summary ${JSON.stringify(run.summary.map(({ alerts: _a, ...c }) => c))}`,
      );
      return { run, bill, stages, prompt };
    };
    const q = await agent('quiet', quiet);
    const b = await agent('busy', busy);

    // Scale to a camera-hour: 12 events (the busy clip twice) + the rest of the hour at the quiet rate.
    const repeats = EVENTS_PER_BUSY_HOUR / BUSY_EVENTS.length;
    const quietShare = (HOUR - repeats * BUSY_SECONDS) / QUIET_SECONDS;
    const perHour = (k: (x: AiBill) => number) => k(b.bill) * repeats + k(q.bill) * quietShare;
    const prompt = b.prompt ?? '';
    const naive = naiveBill(HOUR, prompt, FRAME, JSON.stringify(NO_INCIDENT_VERDICT).length);
    const failedAlerts = b.run.summary.flatMap((c) => c.alerts).filter((a) => a.status !== 'sent');

    // Cost per camera-month (30 × 24 h) per stage, thinking tokens priced at the output rate.
    const perHourStage = (k: 'screen' | 'confirm', f: (x: StageBill) => number) =>
      f(b.stages[k]) * repeats + f(q.stages[k]) * quietShare;
    const month: Sample[] = [];
    for (const [scene, rate] of [
      ['quiet', (k: 'screen' | 'confirm', f: (x: StageBill) => number) => (f(q.stages[k]) * HOUR) / QUIET_SECONDS],
      ['busy', perHourStage],
      ['dense', (k: 'screen' | 'confirm', f: (x: StageBill) => number) => (f(b.stages[k]) * HOUR) / BUSY_SECONDS],
    ] as const) {
      for (const stage of ['screen', 'confirm'] as const) {
        month.push({
          metric: `ai.month-cost-${scene}-${stage}`,
          value: rate(stage, (x) => x.usd) * MONTH_HOURS,
          unit: 'USD/cam-month',
          // Baseline: the same calls priced without their thinking tokens.
          baseline: rate(stage, (x) => x.usdWithoutThinking) * MONTH_HOURS,
          detail: {
            callsPerMonth: Math.round(rate(stage, (x) => x.requests) * MONTH_HOURS),
            thinkingTokensPerMonth: Math.round(rate(stage, (x) => x.thinkingTokens) * MONTH_HOURS),
            usdAfterLaunchRate: rate(stage, (x) => x.usdAfterLaunch) * MONTH_HOURS,
          },
        });
      }
    }

    const samples: Sample[] = [
      ...month,
      {
        metric: 'ai.quiet-calls',
        value: (q.bill.requests * HOUR) / QUIET_SECONDS,
        unit: 'calls/cam-h',
        baseline: HOUR,
        goal: { on: 'value', op: '==', target: 0 },
        detail: { footageSeconds: QUIET_SECONDS, requests: q.bill.requests, alerts: q.run.emlFiles.length },
      },
      {
        metric: 'ai.busy-calls',
        value: perHour((x) => x.requests),
        unit: 'calls/cam-h',
        baseline: naive.requests,
        goal: { on: 'ratio', op: '<=', target: 0.05 },
        detail: { eventsPerHour: EVENTS_PER_BUSY_HOUR, busyClipRequests: b.bill.requests, byModel: b.bill.byModel },
      },
      {
        // The busy clip alone, unscaled: 6 events in 8 minutes (45 events/hour), the dense worst case.
        metric: 'ai.dense-calls',
        value: (b.bill.requests * HOUR) / BUSY_SECONDS,
        unit: 'calls/cam-h',
        baseline: HOUR,
      },
      {
        metric: 'ai.busy-input-tokens',
        value: perHour((x) => x.inputTokens),
        unit: 'tokens/cam-h',
        baseline: naive.inputTokens,
      },
      {
        metric: 'ai.busy-cost',
        value: perHourStage('screen', (x) => x.usd) + perHourStage('confirm', (x) => x.usd),
        unit: 'USD/cam-h',
        baseline: naive.usd,
        detail: {
          naiveRequestTokens: naive.inputTokens / naive.requests,
          prices: 'bench/lib/ai-cost.ts',
          thinking: 'priced',
        },
      },
      {
        metric: 'ai.events-alerted',
        value: b.run.emlFiles.length,
        unit: 'events',
        baseline: BUSY_EVENTS.length,
        goal: { on: 'ratio', op: '>=', target: 1 },
        detail: {
          incidents: b.run.summary.reduce((n, c) => n + c.incidents, 0),
          notSent: failedAlerts.map((a) => ({
            status: a.status,
            eventStart: a.eventStart,
            detail: (a as { detail?: string }).detail,
          })),
        },
      },
    ];
    return samples;
  },
});
