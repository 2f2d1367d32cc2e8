import { FormatRegistry } from '@sinclair/typebox';

/*
 * TypeBox's Value.Check knows no string formats until they are registered: without these, every schema with
 * `format: 'date-time'` (job payloads, results) or `'email'` fails validation with "Unknown format".
 * Registered on import of the contracts index, so every process that validates has them.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function registerFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
  }
  if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => v.length <= 254 && EMAIL.test(v));
  if (!FormatRegistry.Has('uri')) {
    FormatRegistry.Set('uri', (v) => {
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    });
  }
}

registerFormats();
