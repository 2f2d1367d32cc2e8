/**
 * `npm run bench` runs every case in bench/cases; `npm run bench -- <name> [<name>...]` runs some.
 * Prints a table (median, min, max, baseline, ratio) and writes bench/results/latest.json.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchCase, BenchContext, Goal, Sample } from './lib/bench-case';
import { machineInfo } from './lib/machine';
import { median, round } from './lib/stats';

const HERE = import.meta.dirname;
/** The whole suite must stay under 15 minutes; a case that would start past this is skipped. */
const SUITE_BUDGET_MS = 14 * 60_000;
/** Ctrl-C aborts the running case; its cleanups still run before the process exits. */
const interrupted = new AbortController();

interface ResultRow {
  name: string;
  case: string;
  value: number;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  runs: number[];
  min: number;
  max: number;
  goal?: string;
  goalMet?: boolean;
  detail?: Record<string, unknown>;
}

interface CaseOutcome {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  seconds: number;
  error?: string;
}

async function loadCases(): Promise<BenchCase[]> {
  const files = (await readdir(join(HERE, 'cases'))).filter((f) => f.endsWith('.bench.ts')).sort();
  const cases: BenchCase[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(HERE, 'cases', f)).href)) as { default: BenchCase };
    cases.push(mod.default);
  }
  return cases;
}

function goalText(g: Goal): string {
  return `${g.on} ${g.op} ${g.target}`;
}

function goalMet(g: Goal, value: number, ratio: number | null): boolean | undefined {
  const x = g.on === 'ratio' ? ratio : value;
  if (x === null || !Number.isFinite(x)) return undefined;
  if (g.op === '<=') return x <= g.target;
  if (g.op === '>=') return x >= g.target;
  return x === g.target;
}

function aggregate(caseName: string, samples: Sample[][]): ResultRow[] {
  const byMetric = new Map<string, Sample[]>();
  for (const run of samples) {
    for (const s of run) {
      const list = byMetric.get(s.metric) ?? [];
      list.push(s);
      byMetric.set(s.metric, list);
    }
  }
  const rows: ResultRow[] = [];
  for (const [metric, list] of byMetric) {
    const values = list.map((s) => s.value);
    const baselines = list.map((s) => s.baseline).filter((b): b is number => typeof b === 'number');
    const value = median(values);
    const baseline = baselines.length ? median(baselines) : null;
    // Ratio of medians: each side's noise is damped separately (runs alternate the two sides).
    const ratio = baseline !== null && baseline !== 0 ? value / baseline : null;
    const goal = list[0]!.goal;
    rows.push({
      name: metric,
      case: caseName,
      value: round(value),
      unit: list[0]!.unit,
      baseline: baseline === null ? null : round(baseline),
      ratio: ratio === null ? null : round(ratio),
      runs: values.map((v) => round(v)),
      min: round(Math.min(...values)),
      max: round(Math.max(...values)),
      ...(goal ? { goal: goalText(goal), goalMet: goalMet(goal, value, ratio) } : {}),
      ...(list.at(-1)!.detail ? { detail: list.at(-1)!.detail } : {}),
    });
  }
  return rows;
}

async function runCase(c: BenchCase, remainingMs: number): Promise<{ rows: ResultRow[]; outcome: CaseOutcome }> {
  const started = performance.now();
  const tmp = await mkdtemp(join(tmpdir(), `vbench-${c.name}-`));
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const controller = new AbortController();
  const limit = Math.min(c.timeoutMs, remainingMs);
  const ctx: BenchContext = {
    tmp,
    log: (m) => process.stderr.write(`  [${c.name}] ${m}\n`),
    defer: (fn) => cleanups.push(fn),
    signal: controller.signal,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`time limit ${Math.round(limit / 1000)} s`));
      rej(new Error(`${c.name} exceeded its time limit of ${Math.round(limit / 1000)} s`));
    }, limit);
  });
  const samples: Sample[][] = [];
  let error: string | undefined;
  try {
    await Promise.race([
      (async () => {
        const state = c.setup ? await c.setup(ctx) : undefined;
        for (let i = 0; i < c.runs; i++) {
          if (controller.signal.aborted) break;
          ctx.log(`run ${i + 1}/${c.runs}`);
          samples.push(await c.run(state, ctx, i));
        }
      })(),
      timeout,
      new Promise<never>((_, rej) => {
        const onAbort = () => {
          controller.abort(new Error('interrupted'));
          rej(new Error('interrupted'));
        };
        if (interrupted.signal.aborted) onAbort();
        else interrupted.signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    ctx.log(`FAILED: ${error.split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
    controller.abort(new Error('case finished'));
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        ctx.log(`cleanup failed: ${(err as Error).message}`);
      }
    }
    await rm(tmp, { recursive: true, force: true });
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  return {
    rows: aggregate(c.name, samples),
    outcome: { name: c.name, status: error ? 'failed' : 'ok', seconds, ...(error ? { error } : {}) },
  };
}

function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1000) return n.toFixed(0);
  if (a >= 100) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

function table(rows: ResultRow[]): string {
  const head = ['benchmark', 'median', 'min', 'max', 'unit', 'baseline', 'ratio', 'goal', 'met', 'runs'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.value),
    fmt(r.min),
    fmt(r.max),
    r.unit,
    fmt(r.baseline),
    fmt(r.ratio),
    r.goal ?? '',
    r.goalMet === undefined ? '' : r.goalMet ? 'yes' : 'NO',
    String(r.runs.length),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 4 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const all = await loadCases();
  const unknown = wanted.filter((w) => !all.some((c) => c.name === w));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  const cases = wanted.length ? all.filter((c) => wanted.includes(c.name)) : all;
  const machine = machineInfo();
  console.error(
    `vigint bench: ${cases.map((c) => c.name).join(', ')} on ${machine.cores}x ${machine.cpuModel}, node ${machine.node}`,
  );
  const started = performance.now();
  const rows: ResultRow[] = [];
  const outcomes: CaseOutcome[] = [];
  for (const c of cases) {
    if (interrupted.signal.aborted) break;
    const remaining = SUITE_BUDGET_MS - (performance.now() - started);
    if (remaining < 30_000) {
      outcomes.push({ name: c.name, status: 'skipped', seconds: 0, error: 'suite time budget spent' });
      continue;
    }
    console.error(`> ${c.name}: ${c.description}`);
    const r = await runCase(c, remaining);
    rows.push(...r.rows);
    outcomes.push(r.outcome);
    console.error(`< ${c.name}: ${r.outcome.status} in ${r.outcome.seconds} s`);
  }
  const totalSeconds = Math.round((performance.now() - started) / 100) / 10;
  console.log(table(rows));
  console.log('');
  for (const o of outcomes)
    console.log(`${o.name}: ${o.status} (${o.seconds} s)${o.error ? ` — ${o.error.split('\n')[0]}` : ''}`);
  console.log(`total: ${totalSeconds} s, commit ${machine.commit.slice(0, 10)}${machine.dirty ? ' (dirty)' : ''}`);

  const outDir = resolve(HERE, 'results');
  await mkdir(outDir, { recursive: true });
  const report = { date: new Date().toISOString(), machine, totalSeconds, cases: outcomes, results: rows };
  // A partial run (named cases) keeps its own file so it never overwrites the full run's figures.
  const file = wanted.length ? `latest-${wanted.join('-')}.json` : 'latest.json';
  await writeFile(join(outDir, file), `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote bench/results/${file}`);
  process.exit(outcomes.some((o) => o.status === 'failed') ? 1 : 0);
}

process.on('SIGINT', () => {
  if (interrupted.signal.aborted) process.exit(130);
  console.error('interrupted: cleaning up (Ctrl-C again to quit at once)');
  interrupted.abort();
});

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
