/** One measured figure from one run of a benchmark case. */
export interface Sample {
  /** Row name in the table and the JSON, e.g. `clip.frames-to-video`. */
  metric: string;
  value: number;
  unit: string;
  /** The same work done the reference way in the same run (same unit); absent when there is none. */
  baseline?: number;
  /** What `ratio = value / baseline` (or `value` when there is no baseline) should satisfy. */
  goal?: Goal;
  /** Extra facts for the JSON (sizes, counts...), merged over runs as the last run's. */
  detail?: Record<string, unknown>;
}

export interface Goal {
  on: 'ratio' | 'value';
  op: '<=' | '>=' | '==';
  target: number;
}

export interface BenchContext {
  /** A temp folder for this case, removed after it. */
  tmp: string;
  /** Progress line on stderr (the table goes to stdout). */
  log(message: string): void;
  /** Registers a cleanup run after the case even when it fails (last registered, first run). */
  defer(fn: () => Promise<unknown> | unknown): void;
  /** Aborted when the case runs past its time limit or the run is interrupted. */
  signal: AbortSignal;
}

export interface BenchCase<S = unknown> {
  name: string;
  description: string;
  /** How many times `run` is called (the table shows median, min, max over them). */
  runs: number;
  /** Hard limit for setup + runs + teardown. */
  timeoutMs: number;
  setup?(ctx: BenchContext): Promise<S>;
  run(state: S, ctx: BenchContext, index: number): Promise<Sample[]>;
}

export function defineCase<S>(c: BenchCase<S>): BenchCase<S> {
  return c;
}
