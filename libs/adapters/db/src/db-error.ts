import { AppError, ErrorCode, isAppError } from '@vigint/contracts';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  'P1001',
  'P1002',
  'P1017',
]);

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const e = cur as { code?: unknown; kind?: unknown; originalCode?: unknown; cause?: unknown; message?: unknown };
    for (const v of [e.code, e.kind, e.originalCode]) if (typeof v === 'string') out.push(v);
    if (
      typeof e.message === 'string' &&
      /Connection terminated|connect ECONNREFUSED|Can't reach database/i.test(e.message)
    ) {
      out.push('ECONNREFUSED');
    }
    cur = e.cause;
  }
  return out;
}

/** True when the error means PostgreSQL cannot be reached (the gateway answers 503, the worker retries). */
export function isDbUnavailable(err: unknown): boolean {
  return codesOf(err).some((c) => UNAVAILABLE_CODES.has(c) || c === 'DatabaseNotReachable' || c === 'ConnectionClosed');
}

/** Unique-constraint violation (Prisma P2002, PostgreSQL 23505, or the adapter's UniqueConstraintViolation). */
export function isUniqueViolation(err: unknown): boolean {
  return codesOf(err).some((c) => c === 'P2002' || c === '23505' || c === 'UniqueConstraintViolation');
}

/** Maps driver failures to AppErrors; anything else passes through unchanged. */
export function mapDbError(err: unknown): unknown {
  if (isAppError(err)) return err;
  if (isDbUnavailable(err))
    return new AppError(ErrorCode.DependencyUnavailable, 'database unavailable', { cause: err });
  return err;
}

/**
 * Wraps every method of a repository so connection failures surface as AppError DEPENDENCY_UNAVAILABLE,
 * in one place instead of a try/catch per query.
 */
export function withDbErrors<T extends object>(repo: T): T {
  return new Proxy(repo, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const out = (value as (...a: unknown[]) => unknown).apply(target, args);
          return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(mapDbError(err))) : out;
        } catch (err) {
          throw mapDbError(err);
        }
      };
    },
  });
}
