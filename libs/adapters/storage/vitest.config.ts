import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'storage',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
