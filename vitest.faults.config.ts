import { defineConfig } from 'vitest/config';

// Slow fault-injection tests (process kills, service restarts): `npm run test:faults`.
export default defineConfig({
  test: {
    include: ['apps/*/test/faults/**/*.spec.ts', 'libs/**/test/faults/**/*.spec.ts', 'test/faults/**/*.spec.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
