/**
 * Request headers against live servers: Last-Event-ID (with ?lastEventId=) on SSE, Origin on SSE,
 * ws and socket.io.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { HEADER_SURFACES } from '../../scripts/fuzz/surface-headers.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['sse', 'ws', 'socketio']), 60_000);
afterAll(() => fleet.stop());

it.each(HEADER_SURFACES.map((surface) => [surface.name, surface] as const))(
  '%s: every header gets a defined answer',
  async (_, surface) => {
    const failures = await ciBatch(surface, fleet);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  },
);
