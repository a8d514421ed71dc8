/**
 * engine.io / socket.io packets against a live socket.io server, over long-polling and over a raw
 * WebSocket: namespace CONNECT with odd auth, events, acks, binary attachments, engine packets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { ENGINE_SURFACES } from '../../scripts/fuzz/surface-engineio.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['socketio']), 60_000);
afterAll(() => fleet.stop());

it.each(ENGINE_SURFACES.map((surface) => [surface.name, surface] as const))(
  '%s: every packet gets a defined answer',
  async (_, surface) => {
    const failures = await ciBatch(surface, fleet);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  },
);
