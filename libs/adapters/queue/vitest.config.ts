import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'queue',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
