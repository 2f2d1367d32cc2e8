import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'clip',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
