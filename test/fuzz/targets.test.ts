/**
 * Request targets (`//`, absolute-form with bad ports, `*`, escapes, unicode, huge) against every
 * HTTP side of live server processes: SSE, ws (plain and upgrade), socket.io, the floor's /stats port.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { TARGET_SURFACES } from '../../scripts/fuzz/surface-targets.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['sse', 'ws', 'socketio', 'tcp']), 60_000);
afterAll(() => fleet.stop());

it.each(TARGET_SURFACES.map((surface) => [surface.name, surface] as const))(
  '%s: every target gets a defined answer',
  async (_, surface) => {
    const failures = await ciBatch(surface, fleet);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  },
);
