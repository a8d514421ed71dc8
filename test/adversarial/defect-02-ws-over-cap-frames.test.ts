/** Defect 2: over-cap WebSockets get close 1013; malformed frames they send before that close completes are ignored. */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('ws closes every over-cap socket with 1013 LAB_CONNECTION_CAP, counts it as refused, and survives its bad frames', async () => {
  const record = await runAttack(attack('ws-over-cap-malformed-frames'));
  expectWithstood(record);
  const sockets = 12;
  expect.soft(record.answer.upgrades, 'upgrades answered 101 (then closed for the cap)').toEqual({ 101: sockets });
  for (const [kind, closes] of Object.entries(record.answer.closes)) {
    expect.soft(closes, kind).toEqual({ '1013 LAB_CONNECTION_CAP': sockets / 4 });
  }
  expect.soft(record.counters.refused, 'refused').toBe(sockets);
  expect(Object.keys(record.answer.closes)).toHaveLength(4);
});
