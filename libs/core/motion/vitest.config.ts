import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'motion',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
