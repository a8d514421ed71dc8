/**
 * Defect 5's class on socket.io: an engine.io connection that never joins a namespace, never reads
 * and floods CONNECTs to an unknown namespace is dropped by the unsent-bytes bound (dropped+1), which
 * is checked on every packet, not only on quotes to sockets of `/`; memory stays bounded.
 */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('socket.io drops a non-reading connection flooding an unknown namespace; heap and RSS stay within their margins', async () => {
  const record = await runAttack(attack('socketio-unread-flood-unknown-namespace'));
  expectWithstood(record);
  expect.soft(record.answer.cutOff, 'the server ended the flooding connection during the flood').toBe(true);
  expect(record.counters.dropped, 'dropped: the one flooding connection').toBe(1);
});
