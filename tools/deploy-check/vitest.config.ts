import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'deploy-check',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
