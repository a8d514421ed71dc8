import { defineConfig } from 'vitest/config';

// Three projects: fast protocol tests; real-Chromium tests; load tests run one file at a time.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 } },
      { extends: true, test: { name: 'load', include: ['test/load/**/*.test.ts'], fileParallelism: false, testTimeout: 300_000 } },
    ],
  },
});
