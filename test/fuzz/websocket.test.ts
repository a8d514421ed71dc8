/**
 * WebSocket input against live servers: text and binary messages on ws, and raw frames built by
 * hand after a valid handshake on ws and on socket.io's WebSocket.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../scripts/fuzz/live.ts';
import { ciBatch } from '../../scripts/fuzz/runner.ts';
import { WS_FRAME_SURFACES } from '../../scripts/fuzz/surface-ws-frames.ts';
import { WS_MESSAGE_SURFACES } from '../../scripts/fuzz/surface-ws-messages.ts';

const fleet = new Fleet();
beforeAll(() => fleet.start(['ws', 'socketio']), 60_000);
afterAll(() => fleet.stop());

it.each([...WS_MESSAGE_SURFACES, ...WS_FRAME_SURFACES].map((surface) => [surface.name, surface] as const))(
  '%s: every input gets a defined answer',
  async (_, surface) => {
    const failures = await ciBatch(surface, fleet);
    expect(failures.length, failures.join('\n\n')).toBe(0);
  },
);
