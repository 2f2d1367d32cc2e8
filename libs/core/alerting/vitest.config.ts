import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'alerting',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
