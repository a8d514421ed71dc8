/** Defect 4: the TCP floor's side port answers /stats only; other paths get 404, unparsable targets 400. */
import { expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { expectWithstood } from './withstood.ts';

it('tcp side port: GET /nope is 404 LAB_NOT_FOUND; GET // and GET http://x:99999/stats are 400 LAB_BAD_REQUEST', async () => {
  const record = await runAttack(attack('tcp-stats-port-odd-targets'));
  expectWithstood(record);
  expect(record.answer.requests).toEqual([
    { target: '/nope', status: 404, code: 'LAB_NOT_FOUND' },
    { target: '//', status: 400, code: 'LAB_BAD_REQUEST' },
    { target: 'http://x:99999/stats', status: 400, code: 'LAB_BAD_REQUEST' },
  ]);
});
