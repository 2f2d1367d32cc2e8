import { describe, expect, it } from 'vitest';
import { legacyKeyActive } from './legacy-import.service';

describe('legacyKeyActive', () => {
  it('only a clear yes is active: NULL, 0, f, false and the unknown stay inactive', () => {
    for (const v of [true, 1, '1', 't', 'T', 'true', 'TRUE', ' yes ', 'on']) {
      expect(legacyKeyActive({ is_active: v }), String(v)).toBe(true);
    }
    for (const v of [null, undefined, false, 0, 2, '0', 'f', 'false', 'False', 'no', '', 'maybe']) {
      expect(legacyKeyActive({ is_active: v }), String(v)).toBe(false);
      expect(legacyKeyActive({ active: v }), `active ${String(v)}`).toBe(false);
    }
  });

  it('a schema without the column had only live keys', () => {
    expect(legacyKeyActive({ id: 1, key_hash: 'x' })).toBe(true);
  });
});
