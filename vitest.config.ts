import { defineConfig } from 'vitest/config';

// One run over every project; each project's own vitest.config.ts says which files are its tests.
export default defineConfig({
  test: {
    projects: [
      'apps/*',
      'libs/contracts',
      'libs/api-client',
      'libs/core/*',
      'libs/adapters/*',
      'libs/util/*',
      'tools/*',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn ffmpeg and servers: two cores, so keep the fan-out small.
    maxWorkers: 2,
    exclude: ['**/node_modules/**', '**/test/faults/**'],
  },
});
