import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'event',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
