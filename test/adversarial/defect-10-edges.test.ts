/**
 * Defect 10: the SSE servers' HTTP edges (unparsable targets, an unknown Content-Encoding, an empty
 * Last-Event-ID header) over HTTP/1.1 and over HTTP/2, and ws clients cut off for a ping flood or bad
 * frames counted as violations.
 */
import { describe, expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { BAD_INPUT_BURST } from '../../servers/budget.ts';
import { expectWithstood } from './withstood.ts';

describe('leftover edges', () => {
  it.each(['sse-http-edges', 'sse-h2-http-edges'] as const)(
    '%s: 400 LAB_BAD_REQUEST, 415 LAB_UNSUPPORTED_ENCODING, and an empty Last-Event-ID counts as absent',
    async (id) => {
      const record = await runAttack(attack(id));
      expectWithstood(record);
      const answer = record.answer;
      for (const bad of answer.badTargets) expect.soft(bad, bad.target).toMatchObject({ status: 400, code: 'LAB_BAD_REQUEST' });
      const encoding = { status: 415, code: 'LAB_UNSUPPORTED_ENCODING' };
      expect.soft(answer.unsupportedEncoding, 'POST /sse/ping with Content-Encoding: foo').toEqual(encoding);
      expect.soft(answer.emptyLastEventId.latestSeqBefore, 'the feed was past 5, so resume and fresh differ').toBeGreaterThanOrEqual(10);
      const resumed = { status: 200, firstId: 6, reset: false };
      expect(answer.emptyLastEventId, '?lastEventId=5 with an empty Last-Event-ID header').toMatchObject(resumed);
    },
  );

  it('ws: a protocol-ping flood is closed with 1008 once the budget is spent; it and two bad frames count as violations', async () => {
    const record = await runAttack(attack('ws-ping-flood-bad-frames'));
    expectWithstood(record);
    const answer = record.answer;
    expect.soft(answer.pingFlood.pongs, 'pings answered while the budget lasted').toBeGreaterThanOrEqual(BAD_INPUT_BURST);
    expect.soft(answer.pingFlood.close, 'the ping flooder').toBe('1008 LAB_TOO_MANY_BAD_MESSAGES');
    expect.soft(answer.invalidUtf8.close, 'invalid UTF-8 (RFC 6455: 1007)').toMatch(/^1007\b/);
    expect.soft(answer.reservedBit.close, 'a reserved bit set (RFC 6455: 1002)').toMatch(/^1002\b/);
    expect(record.counters.violations, 'violations: the three clients cut off').toBe(3);
  });
});
