/**
 * Defect 7: with --max-connections 50, engine.io handshakes past 50 open engine.io connections are
 * refused and counted — polling with 403 and engine.io's JSON body, a WebSocket upgrade with 400 and the
 * code as text (engine.io answers every refused upgrade with 400) — and a connection that never sends a
 * namespace CONNECT is closed (after 5 s).
 */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

const CAP = 50;
/** The two well-behaved socket.io clients hold engine.io connections too. */
const WELL_BEHAVED = 2;
/** What the attack sends: 90 polling handshakes, then 30 WebSocket upgrades. */
const POLLING = 90;
const WEBSOCKET = 30;

it('socket.io never holds more than 50 engine.io connections: the rest are refused and counted', async () => {
  const record = await runAttack(attack('socketio-engineio-past-cap'));
  expectWithstood(record);
  const answer = record.answer;
  const opened = answer.opened.polling + answer.opened.websocket;
  expect.soft(opened + WELL_BEHAVED, 'engine.io connections open at once').toBeLessThanOrEqual(CAP);
  expect.soft(answer.refused.polling, 'polling handshake refusals by status').toEqual({ 403: POLLING - answer.opened.polling });
  expect.soft(JSON.parse(answer.refusalBody.polling ?? '{}'), 'polling refusal body').toEqual({ code: 4, message: 'LAB_CONNECTION_CAP' });
  expect.soft(answer.refused.websocket, 'WebSocket upgrade refusals by status').toEqual({ 400: WEBSOCKET - answer.opened.websocket });
  expect.soft(answer.refusalBody.websocket, 'WebSocket refusal body').toBe('LAB_CONNECTION_CAP');
  expect.soft(record.counters.refused, 'refused').toBe(POLLING + WEBSOCKET - opened);
  expect(answer.neverConnected.closedByServer, 'connections without a CONNECT that the server closed').toBe(answer.neverConnected.open);
});
