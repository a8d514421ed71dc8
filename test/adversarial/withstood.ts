/**
 * What every attack must leave true, whatever it sent (README, "Secure by default"): the server is
 * up and answers /stats, the well-behaved clients got every quote in order and kept getting them
 * after the attack, memory stayed within a stated margin of the baseline, and SIGTERM still ended
 * the process with exit code 0 within 2 s. Soft assertions, so one run reports every broken promise.
 */
import { expect } from 'vitest';
import type { AttackRecord } from '../../scripts/abuse/index.ts';

const MiB = 2 ** 20;
/**
 * Heap after a forced GC may exceed the baseline by this much. The contract bounds one attacking
 * client at 1 MiB unsent plus one 64 KiB message, and connections themselves cost a few KB each
 * (300 held WebSockets: ~4 MiB); the rest is slack for V8 keeping code and caches between two GCs.
 * The old ws flood (defect 5) grew it by ~100 MiB.
 */
export const HEAP_MARGIN = 32 * MiB;
/**
 * RSS gets a wider margin than heap: malloc arenas and V8's spaces are not handed back to the OS
 * promptly after a GC, and socket buffers live outside the heap. The old ws flood grew it by ~145 MiB.
 */
export const RSS_MARGIN = 96 * MiB;
/** The contract's promise for SIGTERM, as test/cli.test.ts asserts it too. */
export const EXIT_WITHIN_MS = 2000;

/** Growth of one memory figure, or null when either reading is missing. */
export function growth(record: AttackRecord, key: 'heapUsed' | 'rss'): number | null {
  const before = record.memory.baseline[key];
  const after = record.memory.after[key];
  return before === null || after === null ? null : after - before;
}

/**
 * The common promises, as soft assertions; then, hard, that the attack ran to its end, so the
 * caller may read `record.answer` (which is `{}` when the attack threw).
 */
export function expectWithstood(record: AttackRecord, heapMargin = HEAP_MARGIN): void {
  expect.soft(record.serverUp, `server up and /stats answering after the attack; stderr: ${record.stderrTail}`).toBe(true);

  const { wellBehaved } = record;
  expect.soft(wellBehaved.gaps, 'lost, repeated or reordered quotes at the well-behaved clients').toBe(0);
  expect.soft(wellBehaved.afterAttack, 'quotes each well-behaved client received after the attack').toBeGreaterThan(0);

  const { shutdown } = record;
  if (shutdown.exitedBefore) {
    // Memory and shutdown cannot be measured on a process that is gone; its exit is the finding.
    expect.soft(shutdown.exitedBefore, `the process had exited (${shutdown.exitCode ?? shutdown.signal}) before SIGTERM`).toBe(false);
  } else {
    expect.soft(record.memory.after.gc, 'the memory reading after the attack followed a forced GC').toBe(true);
    expect.soft(growth(record, 'heapUsed'), 'heap growth after GC, bytes').not.toBeNull();
    expect.soft(growth(record, 'heapUsed') ?? 0, 'heap growth after GC, bytes').toBeLessThanOrEqual(heapMargin);
    expect.soft(growth(record, 'rss'), 'RSS growth, bytes').not.toBeNull();
    expect.soft(growth(record, 'rss') ?? 0, 'RSS growth, bytes').toBeLessThanOrEqual(RSS_MARGIN);
    expect.soft(shutdown.exitCode, `exit code after SIGTERM${shutdown.killed ? ' (still running, killed)' : ''}`).toBe(0);
    expect.soft(shutdown.ms, 'ms from SIGTERM to exit').toBeLessThan(EXIT_WITHIN_MS);
  }
  expect(record.attackError, 'the attack ran to its end').toBeNull();
}
