import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'api-proxy',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
    // Projects do not inherit the root's timeouts; six sessions share two cores, so be generous.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
