import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  FAST_CASES,
  makeWorkDir,
  MATRIX_CASES,
  removeWorkDir,
  runMatrixCase,
} from '../integration/format-matrix-cases';

let work: string;
beforeAll(async () => {
  work = await makeWorkDir();
});
afterAll(() => removeWorkDir(work));

// The rest of the format matrix (format-matrix.spec.ts runs the cases issue 12 found failing).
describe('format matrix, remaining containers and codecs', { timeout: 180_000 }, () => {
  it.each(MATRIX_CASES.filter((c) => !FAST_CASES.has(c.name)))('$name', (c) => runMatrixCase(c, work));
});
