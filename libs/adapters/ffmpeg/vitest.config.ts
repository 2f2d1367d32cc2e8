import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'ffmpeg',
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
