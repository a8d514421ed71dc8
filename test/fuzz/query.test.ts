/**
 * Query parameters against live servers: format and lastEventId (SSE), format and since (ws),
 * EIO, transport, sid and format (socket.io polling and WebSocket handshakes).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { QUERY_SURFACES } from '../../scripts/fuzz/surface-query.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['sse', 'ws', 'socketio']), 60_000);
afterAll(() => fleet.stop());

it.each(QUERY_SURFACES.map((surface) => [surface.name, surface] as const))('%s: every query gets a defined answer', async (_, surface) => {
  const failures = await ciBatch(surface, fleet);
  expect(failures.length, failures.join('\n\n')).toBe(0);
});
