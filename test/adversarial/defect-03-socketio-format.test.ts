/** Defect 3: a socket.io CONNECT whose auth format is not a string gets CONNECT_ERROR LAB_BAD_FORMAT; the server stays up. */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('socket.io refuses a non-string format (object, array, number) over polling and WebSocket', async () => {
  const record = await runAttack(attack('socketio-non-string-format'));
  expectWithstood(record);
  for (const { via, packet, reply } of record.answer.connects) {
    expect.soft(reply, `${packet} over ${via}`).toBe('44{"message":"LAB_BAD_FORMAT: format is json or binary"}');
  }
  expect(record.answer.connects).toHaveLength(4);
});
