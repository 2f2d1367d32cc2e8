import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'deploy-check',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts', 'test/e2e/**/*.spec.ts'],
    // docker-compose v1 is a Python program: a few seconds per call on a busy two-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
