/** What the wire annotation tests check of every recorded session: its byte rows account for every byte, once. */
import { expect } from 'vitest';
import type { WireMessage } from '../scripts/wire/types.ts';

/**
 * The rows of these messages (one connection, one direction), in offset order, tile `bytes`: each starts where the one
 * before ended and shows its first 16 bytes in hex.
 */
export function expectRowsTile(messages: readonly WireMessage[], bytes: Buffer): void {
  let at = 0;
  for (const row of messages.flatMap((m) => m.rows).sort((a, b) => a.offset - b.offset)) {
    expect(row.offset).toBe(at);
    const shown = bytes.subarray(row.offset, row.offset + Math.min(row.length, 16));
    expect(row.hex.replace(' …', '')).toBe(Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(' '));
    at += row.length;
  }
  expect(at).toBe(bytes.length);
}
