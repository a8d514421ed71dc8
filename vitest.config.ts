import { defineConfig } from 'vitest/config';

// Five projects: fast protocol tests; real-browser tests (Chromium and Firefox); load tests run one file at a time;
// attacks on real server processes (each measures a server's memory and its 2 s shutdown);
// property-based fuzzing of every input surface against live servers.
// The load, attack and fuzz projects each run alone (groupOrder), after the others: they load both
// cores, and the attacks' memory and shutdown figures must not carry another suite's load.
export default defineConfig({
  test: {
    // Chromium, Firefox, nginx, redis-server and tshark found or installed first (Debian, as root), or named in one line each.
    globalSetup: ['test/setup/programs.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/*.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], fileParallelism: false, testTimeout: 120_000 } },
      {
        extends: true,
        test: {
          name: 'load',
          include: ['test/load/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'adversarial',
          include: ['test/adversarial/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
