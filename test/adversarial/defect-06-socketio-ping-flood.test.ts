/**
 * Defect 6: a flood of socket.io `ping` events without an ack is answered with lab-error while the
 * bad-input budget lasts, then the client is disconnected (a DISCONNECT packet); the replies are sent
 * volatile, so connection state recovery does not keep them and heap after GC stays near the baseline.
 * Volatile also means a reply is skipped while the transport is still writing the previous one: a
 * flood gets a few answers, not one per ping, and the last one (LAB_TOO_MANY_BAD_MESSAGES) may be
 * among those skipped, so the cut-off is read from the DISCONNECT packet.
 */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { BAD_INPUT_BURST } from '../../servers/budget.ts';
import { expectWithstood } from './withstood.ts';

/**
 * Tighter than the common heap margin: a server that stores nothing for the flooder grows by well
 * under 1 MiB here (the quotes recovery keeps for the feed's own broadcasts are a few hundred KB),
 * while the old server, keeping every reply for two minutes, grew by ~16 MiB for 20,000 pings.
 */
const RECOVERY_HEAP_MARGIN = 6 * 2 ** 20;

it('socket.io answers pings without an ack with lab-error until the budget is spent, then disconnects the client', async () => {
  const record = await runAttack(attack('socketio-ping-flood-without-ack'));
  expectWithstood(record, RECOVERY_HEAP_MARGIN);
  const answer = record.answer;
  expect.soft(answer.connect, 'the flooder connected').toMatch(/^40/);
  expect.soft(answer.codes.LAB_BAD_MESSAGE ?? 0, 'lab-error LAB_BAD_MESSAGE replies').toBeGreaterThanOrEqual(1);
  expect.soft(answer.labErrors, 'no more replies than the budget (+ the final one)').toBeLessThanOrEqual(BAD_INPUT_BURST + 1);
  expect.soft(answer.disconnectPacket, 'a DISCONNECT packet').toBe(true);
  expect.soft(answer.closed, 'the flooder was disconnected').toBe(true);
  expect(record.counters.violations, 'violations').toBe(1);
});
