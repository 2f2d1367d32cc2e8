import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'mailer',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
