/**
 * Defect 5: a ws client that subscribes to nothing, never reads and floods 1-byte messages is cut
 * off (bad-input budget: violations+1, or the unsent bound: dropped+1), and memory stays bounded.
 */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('ws cuts off a non-reading flooder; heap and RSS stay within their margins; other clients get every quote', async () => {
  const record = await runAttack(attack('ws-unread-flood-no-subscription'));
  expectWithstood(record);
  expect.soft(record.answer.subscribeReply, 'the subscribe to [] was accepted').toBe('{"type":"subscribed","symbols":[]}');
  expect.soft(record.answer.flood.cutOff, 'the server ended the flooding connection during the flood').toBe(true);
  const cut = (record.counters.violations ?? 0) + (record.counters.dropped ?? 0);
  expect(cut, 'violations + dropped: the one flooding client').toBe(1);
});
