import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'queue',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
