import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'db',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
    // Project configs do not inherit the root's timeouts; these tests spawn processes and create databases.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
