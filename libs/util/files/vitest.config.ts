import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'files',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
