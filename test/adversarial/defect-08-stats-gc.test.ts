/** Defect 8: /stats?gc=1 runs a GC only with --stats-gc, and then at most once per second. */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { TRANSPORT_NAMES } from '../../servers/transports.ts';
import { expectWithstood } from './withstood.ts';

it('/stats?gc=1 runs at most one GC per second with --stats-gc, and none without it on any transport', async () => {
  const record = await runAttack(attack('stats-gc-on-demand'));
  expectWithstood(record);
  const { withFlag, withoutFlag } = record.answer;
  expect.soft(withFlag.unanswered, 'unanswered /stats requests').toBe(0);
  expect.soft(withFlag.requests, 'requests sent (many per second)').toBeGreaterThan(withFlag.windowMs / 100);
  expect.soft(withFlag.gcRuns, 'GCs run with --stats-gc').toBeGreaterThanOrEqual(1);
  // One in the first instant, then one per full second at most.
  expect.soft(withFlag.gcRuns, `GCs run in ${withFlag.windowMs} ms`).toBeLessThanOrEqual(Math.floor(withFlag.windowMs / 1000) + 1);
  for (const [transport, { requests, answered, gcRuns }] of Object.entries(withoutFlag)) {
    expect.soft(answered, `${transport}: /stats answers (HTTP/2 for sse-h2)`).toBe(requests);
    expect.soft(gcRuns, `${transport} without --stats-gc`).toBe(0);
  }
  expect(Object.keys(withoutFlag).sort()).toEqual([...TRANSPORT_NAMES].sort());
});
