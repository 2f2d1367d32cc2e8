import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'clip',
    // Real ffmpeg on two shared cores: the root config's timeouts do not reach a project run alone.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.spec.ts', 'test/integration/**/*.spec.ts'],
  },
});
