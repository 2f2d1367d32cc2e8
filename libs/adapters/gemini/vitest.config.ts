import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gemini',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
