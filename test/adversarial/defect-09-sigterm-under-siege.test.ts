/**
 * Defect 9: SIGTERM ends the process with exit code 0 within 2 s whatever it holds: non-reading
 * clients plus over-cap sockets (ws, socket.io, and HTTP/2 streams on sse-h2), socket.io polling
 * sessions that stopped polling, and polling sessions ended by a parse error. One server process per scene.
 */
import { describe, expect, it } from 'vitest';
import { attack, runAttack } from '../../scripts/abuse/index.ts';
import { NON_READERS } from '../../scripts/abuse/shutdown-attacks.ts';
import { expectWithstood } from './withstood.ts';

describe('SIGTERM under siege', () => {
  it('ws: 300 non-reading WebSockets and 20 over-cap sockets that never finish closing', async () => {
    const record = await runAttack(attack('ws-sigterm-non-readers-over-cap'));
    expectWithstood(record);
    expect.soft(record.answer.nonReaders.upgrades, 'non-readers upgraded').toEqual({ 101: NON_READERS });
    expect(record.answer.overCap.replies, 'over-cap sockets').toEqual({ '1013 LAB_CONNECTION_CAP': 20 });
  });

  it('sse-h2: 300 non-reading HTTP/2 streams, each on its own session, and 20 over-cap streams', async () => {
    const record = await runAttack(attack('sse-h2-sigterm-non-readers-over-cap'));
    expectWithstood(record);
    expect.soft(record.answer.nonReaders, 'non-readers streaming').toEqual({ 200: NON_READERS });
    expect(record.answer.overCap, 'over-cap streams').toEqual({ 503: 20 });
  });

  it('socket.io: 300 non-reading clients and 20 over-cap sockets', async () => {
    const record = await runAttack(attack('socketio-sigterm-non-readers-over-cap'));
    expectWithstood(record);
    expect(record.answer.nonReaders.replies, 'non-readers connected').toEqual({ '40{"sid":…,"pid":…}': NON_READERS });
  });

  it('socket.io: polling sessions that stopped polling, after CONNECT or in the middle of the upgrade', async () => {
    const record = await runAttack(attack('socketio-sigterm-polling-stopped'));
    expectWithstood(record);
    expect.soft(record.answer.connectReplies, 'sessions connected').toEqual({ 40: 5 });
    expect(record.answer.midUpgrade, 'sessions left mid-upgrade').toEqual({ 'probe answered': 5 });
  });

  it('socket.io: polling sessions ended by a parse error, each counted as a violation', async () => {
    const record = await runAttack(attack('socketio-sigterm-parse-error'));
    expectWithstood(record);
    expect.soft(record.answer.connectReplies, 'sessions connected').toEqual({ 40: 5 });
    expect(record.counters.violations, 'violations: one per session cut off for a parse error').toBe(5);
  });
});
