/** Defect 1: a WebSocket upgrade to a request target URL() cannot parse gets 400 LAB_BAD_REQUEST, not a crash. */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('ws answers an upgrade to // or http://a:99999/ws with 400 LAB_BAD_REQUEST and closes the connection', async () => {
  const record = await runAttack(attack('ws-unparsable-upgrade-target'));
  expectWithstood(record);
  for (const upgrade of record.answer.upgrades) {
    expect.soft(upgrade, upgrade.target).toMatchObject({ status: 400, code: 'LAB_BAD_REQUEST', closedAfterAnswer: true });
  }
  expect(record.answer.upgrades).toHaveLength(2);
});
