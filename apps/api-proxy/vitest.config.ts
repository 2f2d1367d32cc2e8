import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'api-proxy',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
