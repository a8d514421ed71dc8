/**
 * SSE's upstream path (POST /sse/ping: header combinations and bodies) and the WebSocket upgrade's
 * headers on ws and socket.io, against live servers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { PING_SURFACES } from '../../scripts/fuzz/surface-ping.ts';
import { UPGRADE_SURFACES } from '../../scripts/fuzz/surface-upgrade.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['sse', 'ws', 'socketio']), 60_000);
afterAll(() => fleet.stop());

it.each([...PING_SURFACES, ...UPGRADE_SURFACES].map((surface) => [surface.name, surface] as const))(
  '%s: every input gets a defined answer',
  async (_, surface) => {
    const failures = await ciBatch(surface, fleet);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  },
);
