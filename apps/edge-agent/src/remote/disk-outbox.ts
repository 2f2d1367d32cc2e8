import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isApiError } from '@vigint/api-client';
import { silentLogger, type Logger } from '@vigint/logger';

/** What the caller hands the outbox: a JSON payload and at most one file (the clip), under one idempotency key. */
export interface OutboxItem<P> {
  idempotencyKey: string;
  /** What the payload is (`incident`, `notice`...), for logs and the rejected folder. */
  kind: string;
  payload: P;
  /** Copied (hard-linked when possible) into the entry: the caller may delete its own file afterwards. */
  file?: string;
}

/** One stored item, as the sender sees it. */
export interface OutboxEntry<P> {
  /** Folder name: `<created ms>-<seq>-<key>`, so names sort in submission order. */
  id: string;
  dir: string;
  idempotencyKey: string;
  kind: string;
  payload: P;
  /** The entry's own copy of the file, and its size when stored. */
  file?: string;
  fileBytes?: number;
  createdAt: string;
  /** Send attempts made by this process so far. */
  attempts: number;
}

export type OutboxOutcome<P, R> =
  | { status: 'sent'; entry: OutboxEntry<P>; result: R }
  /** Still on disk: the server is unreachable; the replayer sends it, in order, when it answers again. */
  | { status: 'queued'; entry: OutboxEntry<P>; error: unknown }
  /** The server refused it for good (a 4xx that is the request's fault): moved to `rejected/` with error.json. */
  | { status: 'rejected'; entry: OutboxEntry<P>; error: unknown };

export type OutboxVerdict = 'retry' | 'reject';

export interface DiskOutboxOptions<P, R> {
  dir: string;
  /** Sends one entry; resolves on a 2xx, throws otherwise. */
  send(entry: OutboxEntry<P>, signal: AbortSignal): Promise<R>;
  /** Cheap "is the server back?" tried before re-sending after a failure (e.g. GET /api/health). */
  probe?(signal: AbortSignal): Promise<unknown>;
  /** Which failures are worth another try. Default: `defaultOutboxVerdict`. */
  classify?(err: unknown): OutboxVerdict;
  /** Called once per entry when it leaves the queue (sent or rejected), including start-up replays. */
  onSettled?(outcome: OutboxOutcome<P, R>): void;
  log?: Logger;
  /** Replay backoff after a failure: full jitter under a doubling ceiling. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

interface Waiting<P, R> {
  entry: OutboxEntry<P>;
  settle(outcome: OutboxOutcome<P, R>): void;
  settled: Promise<OutboxOutcome<P, R>>;
}

const META = 'meta.json';
const ERROR = 'error.json';

/**
 * Keeps the server unreachable errors from losing alerts: every item is written to disk first (`pending/`), then sent
 * by one replayer, strictly in submission order, and its folder removed only after a 2xx. Unreachable server
 * (network error, timeout, 429, 5xx after the client's retries): the replayer backs off, probes, and resumes with the
 * oldest entry. The idempotency key rides with every attempt, so a replay after a lost reply mails once.
 * A request the server refuses as malformed moves to `rejected/` with the error instead of being retried forever.
 */
export class DiskOutbox<P, R> {
  readonly dir: string;
  private readonly pendingDir: string;
  private readonly rejectedDir: string;
  private readonly tmpDir: string;
  private readonly log: Logger;
  private readonly queue: Waiting<P, R>[] = [];
  private loop?: Promise<void>;
  private failures = 0;
  private lastError: unknown;
  private stallWaiters: Array<(err: unknown) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private wake?: () => void;
  private readonly stop = new AbortController();
  private seq = 0;
  private opened = false;

  constructor(private readonly opts: DiskOutboxOptions<P, R>) {
    this.dir = opts.dir;
    this.pendingDir = join(opts.dir, 'pending');
    this.rejectedDir = join(opts.dir, 'rejected');
    this.tmpDir = join(opts.dir, 'tmp');
    this.log = (opts.log ?? silentLogger).child({ module: 'disk-outbox' });
  }

  /** Creates the folders, drops half-written entries, and starts replaying what an earlier run left pending. */
  async open(): Promise<number> {
    await Promise.all([this.pendingDir, this.rejectedDir].map((d) => mkdir(d, { recursive: true })));
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    const names = (await readdir(this.pendingDir)).sort();
    for (const id of names) {
      const dir = join(this.pendingDir, id);
      try {
        const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as Omit<
          OutboxEntry<P>,
          'dir' | 'attempts' | 'file'
        > & {
          file?: string;
        };
        const entry: OutboxEntry<P> = {
          ...meta,
          id,
          dir,
          file: meta.file ? join(dir, meta.file) : undefined,
          attempts: 0,
        };
        this.queue.push(waiting(entry));
      } catch (err) {
        await this.reject(
          { id, dir, idempotencyKey: id, kind: 'unknown', payload: undefined as P, createdAt: '', attempts: 0 },
          err,
        );
      }
    }
    this.opened = true;
    if (this.queue.length > 0) this.log.info({ pending: this.queue.length, dir: this.dir }, 'replaying outbox');
    this.kick();
    return this.queue.length;
  }

  get size(): number {
    return this.queue.length;
  }

  /** True while the replayer is waiting for the server to come back. */
  get stalled(): boolean {
    return this.failures > 0;
  }

  /**
   * Stores the item, then waits until it is sent or rejected, or until the server proves unreachable (then
   * `queued`: the replayer keeps it). The same idempotency key twice joins the entry already queued.
   */
  async submit(item: OutboxItem<P>): Promise<OutboxOutcome<P, R>> {
    if (!this.opened) throw new Error('DiskOutbox: call open() first');
    const same = this.queue.find((w) => w.entry.idempotencyKey === item.idempotencyKey);
    const w = same ?? waiting(await this.persist(item));
    if (!same) this.queue.push(w);
    if (this.stalled || this.stop.signal.aborted) return { status: 'queued', entry: w.entry, error: this.lastError };
    let onStall!: (err: unknown) => void;
    const stalled = new Promise<OutboxOutcome<P, R>>(
      (resolve) => (onStall = (error) => resolve({ status: 'queued', entry: w.entry, error })),
    );
    this.stallWaiters.push(onStall);
    this.kick();
    try {
      return await Promise.race([w.settled, stalled]);
    } finally {
      this.stallWaiters = this.stallWaiters.filter((f) => f !== onStall);
    }
  }

  /** Retries now instead of at the end of the current backoff. */
  flush(): void {
    this.wake?.();
  }

  /** Resolves when the queue is empty or after `timeoutMs`; returns what is still pending. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.queue.length === 0) return 0;
    this.flush();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return this.queue.length;
  }

  /** Stops the replayer (an in-flight send is aborted and stays pending on disk for the next start). */
  async close(): Promise<void> {
    this.stop.abort(new Error('outbox closed'));
    this.wake?.();
    await this.loop;
    for (const w of this.queue) w.settle({ status: 'queued', entry: w.entry, error: this.lastError });
  }

  private kick(): void {
    if (this.loop || this.stop.signal.aborted || this.queue.length === 0) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      // An item may have been queued between the last check and this line.
      if (this.queue.length > 0 && !this.stop.signal.aborted) this.kick();
    });
  }

  private async run(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted && this.queue.length > 0) {
      const head = this.queue[0]!;
      const { entry } = head;
      if (this.failures > 0 && this.opts.probe) {
        // A failed probe says nothing about the entry: never a reason to reject it.
        const up = await this.opts.probe(signal).then(
          () => true,
          (err: unknown) => (signal.aborted ? true : (this.stall(entry, err), false)),
        );
        if (signal.aborted) return;
        if (!up) {
          await this.sleep(this.backoff());
          continue;
        }
      }
      try {
        entry.attempts++;
        const result = await this.opts.send(entry, signal);
        // Only a 2xx reaches this line: now, and only now, the entry may go.
        await rm(entry.dir, { recursive: true, force: true });
        this.queue.shift();
        if (this.failures > 0)
          this.log.info({ key: entry.idempotencyKey, attempts: entry.attempts }, 'server back, outbox entry sent');
        this.failures = 0;
        this.settled(head, { status: 'sent', entry, result });
      } catch (err) {
        if (signal.aborted) return;
        const verdict = (this.opts.classify ?? defaultOutboxVerdict)(err);
        if (verdict === 'reject') {
          this.failures = 0;
          this.queue.shift();
          await this.reject(entry, err);
          this.settled(head, { status: 'rejected', entry, error: err });
          continue;
        }
        this.stall(entry, err);
        await this.sleep(this.backoff());
      }
    }
  }

  /** The server is unreachable: callers waiting in submit() learn their entry is queued; the loop backs off. */
  private stall(entry: OutboxEntry<P>, err: unknown): void {
    this.failures++;
    this.lastError = err;
    const waiters = this.stallWaiters;
    this.stallWaiters = [];
    waiters.forEach((notify) => notify(err));
    this.log.warn(
      {
        key: entry.idempotencyKey,
        pending: this.queue.length,
        attempt: entry.attempts,
        failures: this.failures,
        err: errText(err),
      },
      'server unreachable, outbox waits',
    );
  }

  private settled(w: Waiting<P, R>, outcome: OutboxOutcome<P, R>): void {
    w.settle(outcome);
    try {
      this.opts.onSettled?.(outcome);
    } catch (err) {
      this.log.error({ err: errText(err) }, 'outbox onSettled failed');
    }
    if (this.queue.length === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      waiters.forEach((done) => done());
    }
  }

  private backoff(): number {
    const base = this.opts.baseDelayMs ?? 1000;
    const max = this.opts.maxDelayMs ?? 60_000;
    const ceiling = Math.min(max, base * 2 ** Math.min(this.failures - 1, 30));
    // Never zero: a dead server would otherwise be hammered by a run of tiny draws.
    return Math.max(base / 2, Math.floor((this.opts.random ?? Math.random)() * ceiling));
  }

  /** Backoff wait that flush() and close() cut short; unref'd so a waiting outbox never keeps the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }

  /** Writes into tmp/ then renames into pending/: a crash never leaves a half-written entry where replay looks. */
  private async persist(item: OutboxItem<P>): Promise<OutboxEntry<P>> {
    const createdAt = new Date();
    const id = `${String(createdAt.getTime()).padStart(13, '0')}-${String(this.seq++).padStart(6, '0')}-${safeName(item.idempotencyKey)}`;
    const tmp = join(this.tmpDir, id);
    await mkdir(tmp, { recursive: true });
    let fileName: string | undefined;
    let fileBytes: number | undefined;
    if (item.file) {
      const src = item.file;
      fileName = `file-${safeName(basename(src))}`;
      const dst = join(tmp, fileName);
      // A hard link costs nothing and survives the caller deleting its clip; another filesystem needs a copy.
      await link(src, dst).catch(() => copyFile(src, dst));
      fileBytes = (await stat(dst)).size;
    }
    const meta = {
      idempotencyKey: item.idempotencyKey,
      kind: item.kind,
      payload: item.payload,
      file: fileName,
      fileBytes,
      createdAt: createdAt.toISOString(),
    };
    await writeFile(join(tmp, META), JSON.stringify(meta, null, 2));
    const dir = join(this.pendingDir, id);
    await rename(tmp, dir);
    this.log.debug({ key: item.idempotencyKey, kind: item.kind, id }, 'outbox entry stored');
    return { ...meta, id, dir, file: fileName ? join(dir, fileName) : undefined, attempts: 0 };
  }

  private async reject(entry: OutboxEntry<P>, err: unknown): Promise<void> {
    const target = join(this.rejectedDir, entry.id);
    try {
      await rename(entry.dir, target);
      entry.dir = target;
      await writeFile(
        join(target, ERROR),
        JSON.stringify({ ...errorBody(err), attempts: entry.attempts, at: new Date().toISOString() }, null, 2),
      );
    } catch (moveErr) {
      this.log.error({ id: entry.id, err: errText(moveErr) }, 'could not move outbox entry to rejected/');
    }
    this.log.error(
      { key: entry.idempotencyKey, kind: entry.kind, dir: target, err: errText(err) },
      'server refused outbox entry, moved to rejected/',
    );
  }
}

/**
 * Retry: the server could not take it now (unreachable, timeout, 429, 5xx), or refused the key (401/403: a
 * configuration problem of the agent, not of this entry; an operator fixes the key and the backlog goes out).
 * Reject: any other 4xx (the request itself is at fault) and anything that is not a gateway reply (a broken entry).
 */
export function defaultOutboxVerdict(err: unknown): OutboxVerdict {
  if (!isApiError(err)) return 'reject';
  if (err.transient) return 'retry';
  return err.status === 401 || err.status === 403 ? 'retry' : 'reject';
}

function waiting<P, R>(entry: OutboxEntry<P>): Waiting<P, R> {
  let settle!: (o: OutboxOutcome<P, R>) => void;
  const settled = new Promise<OutboxOutcome<P, R>>((resolve) => (settle = resolve));
  return { entry, settle, settled };
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
}

function errorBody(err: unknown): Record<string, unknown> {
  if (isApiError(err)) return { error: err.message, code: err.code, field: err.field, status: err.status };
  return { error: err instanceof Error ? err.message : String(err) };
}

function errText(err: unknown): string {
  if (isApiError(err)) return `${err.code}${err.status ? ` ${err.status}` : ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
