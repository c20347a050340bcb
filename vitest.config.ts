import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Each file starts its own dynalite and local SES on free ports; two cores, so keep it modest.
    maxWorkers: 2,
  },
});
