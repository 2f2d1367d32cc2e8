import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError, ErrorCode } from './errors';

/** Checks `value` against `schema`; throws a VALIDATION_FAILED AppError naming the first bad field. */
export function assertValid<T extends TSchema>(schema: T, value: unknown, what = 'value'): Static<T> {
  if (Value.Check(schema, value)) return value as Static<T>;
  const first = Value.Errors(schema, value).First();
  const field = first?.path.replace(/^\//, '').replace(/\//g, '.') || undefined;
  throw new AppError(
    ErrorCode.ValidationFailed,
    `invalid ${what}: ${field ?? 'body'} ${first?.message ?? 'is invalid'}`,
    {
      field,
    },
  );
}
