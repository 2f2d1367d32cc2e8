/**
 * Models whose daily quota is used up, so no process calls them again until the quota resets. Workers
 * share a Redis implementation (libs/adapters/queue, quota-gate.store.ts: the key expires at the reset);
 * local mode (one process) uses memory.
 */
export interface QuotaGate {
  /** Epoch ms until which the model must not be called, or undefined. */
  blockedUntil(model: string): Promise<number | undefined>;
  /** Blocks the model until `until`. Resolves true for the first process to block it (it tells the operator). */
  block(model: string, until: number, reason: string): Promise<boolean>;
}

export class MemoryQuotaGate implements QuotaGate {
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async blockedUntil(model: string): Promise<number | undefined> {
    const t = this.until.get(model);
    if (t === undefined) return undefined;
    if (t <= this.now()) {
      this.until.delete(model);
      return undefined;
    }
    return t;
  }

  async block(model: string, until: number): Promise<boolean> {
    const first = (await this.blockedUntil(model)) === undefined;
    this.until.set(model, Math.max(until, this.until.get(model) ?? 0));
    return first;
  }
}
