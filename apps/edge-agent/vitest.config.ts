import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'edge-agent',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
