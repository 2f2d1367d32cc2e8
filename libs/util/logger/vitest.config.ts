import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'logger',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
