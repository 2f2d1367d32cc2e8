import type { Redis } from 'ioredis';
import { AppError, ErrorCode } from '@vigint/contracts';
import { DEFAULT_QUEUE_PREFIX } from './job-queue';

/**
 * Web sessions and one-time tokens in Redis (the console's sign-ins, magic links), shared by every
 * gateway instance. Every key expires. Redis down → AppError DEPENDENCY_UNAVAILABLE (503).
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = DEFAULT_QUEUE_PREFIX,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.prefix}:session:${kind}:${id}`;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new AppError(ErrorCode.DependencyUnavailable, 'sessions are unavailable: try again shortly', {
        cause: err,
      });
    }
  }

  put(kind: string, id: string, value: string, ttlSeconds: number): Promise<void> {
    return this.run(async () => {
      await this.redis.set(this.key(kind, id), value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    });
  }

  get(kind: string, id: string): Promise<string | null> {
    return this.run(() => this.redis.get(this.key(kind, id)));
  }

  delete(kind: string, id: string): Promise<void> {
    return this.run(async () => {
      await this.redis.del(this.key(kind, id));
    });
  }

  /** Reads and deletes in one step: a one-time token works once, even with two clicks at the same moment. */
  take(kind: string, id: string): Promise<string | null> {
    return this.run(() => this.redis.getdel(this.key(kind, id)));
  }
}
