import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'motion',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
    // A project does not inherit the root config's timeouts: without these, vitest's 5 s applies, and CPU-bound
    // tests (the motion scenes) timed out on a loaded machine. A timeout is not a speed assertion.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
