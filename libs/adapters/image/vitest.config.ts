import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'image',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
