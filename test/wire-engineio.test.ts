/**
 * engine.io v4 / socket.io v5 packet decoding: packets as the protocols document them (including
 * binary placeholders and a namespace), a long-polling body, and the packets of a recorded
 * Chromium session with the lab's socket.io server, decoded from the raw WebSocket frames.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEngineText, decodeSocketPacket, isPlaceholder, splitPollingPayload } from '../scripts/wire/decode/engineio.ts';
import { decodeHttpConnection } from '../scripts/wire/decode/http.ts';
import { decodeFrames } from '../scripts/wire/decode/websocket.ts';
import type { TranscriptFile } from '../scripts/wire/types.ts';

describe('engine.io packets', () => {
  it('decodes each packet type by its digit', () => {
    expect(decodeEngineText('0{"sid":"a","upgrades":["websocket"],"pingInterval":25000}')).toMatchObject({ type: 0, name: 'open' });
    expect(decodeEngineText('2probe')).toEqual({ type: 2, name: 'ping', data: 'probe' });
    expect(decodeEngineText('3probe')).toEqual({ type: 3, name: 'pong', data: 'probe' });
    expect(decodeEngineText('2')).toEqual({ type: 2, name: 'ping', data: '' });
    expect(decodeEngineText('5')).toMatchObject({ name: 'upgrade' });
    expect(decodeEngineText('6')).toMatchObject({ name: 'noop' });
    expect(decodeEngineText('1')).toMatchObject({ name: 'close' });
    expect(decodeEngineText('9')).toBeNull();
  });

  it("decodes a polling binary packet ('b' + base64)", () => {
    const packet = decodeEngineText(`b${Buffer.from([1, 2, 250]).toString('base64')}`);
    expect(packet?.type).toBe('binary');
    expect(Array.from(packet!.data as Uint8Array)).toEqual([1, 2, 250]);
  });

  it('splits a long-polling body on the 0x1e record separator, with offsets', () => {
    const body = Buffer.from('40{"sid":"x"}\x1e42["quote",{"seq":1}]\x1e2');
    const parts = splitPollingPayload(body);
    expect(parts.map((p) => p.text)).toEqual(['40{"sid":"x"}', '42["quote",{"seq":1}]', '2']);
    expect(parts.map((p) => [p.offset, p.length, p.separator])).toEqual([
      [0, 13, 13],
      [14, 21, 35],
      [36, 1, null],
    ]);
  });
});

describe('socket.io packets', () => {
  it('CONNECT with an auth payload, and its answer', () => {
    expect(decodeSocketPacket('0{"format":"json"}')).toMatchObject({ name: 'CONNECT', nsp: '/', ackId: null, data: { format: 'json' } });
    expect(decodeSocketPacket('0{"sid":"s","pid":"p"}')?.data).toEqual({ sid: 's', pid: 'p' });
  });

  it('EVENT with the recovery offset argument, and EVENT with an ack id', () => {
    const event = decodeSocketPacket('2["quote",{"seq":3},"AbC.1"]')!;
    expect(event).toMatchObject({ name: 'EVENT', ackId: null, data: ['quote', { seq: 3 }, 'AbC.1'] });
    expect(event.parts.map((p) => p.what)).toEqual(['type', 'json']);
    const ping = decodeSocketPacket('20["ping",{"t":1.5}]')!;
    expect(ping).toMatchObject({ name: 'EVENT', ackId: 0, data: ['ping', { t: 1.5 }] });
    expect(ping.parts.map((p) => [p.what, p.offset, p.length])).toEqual([
      ['type', 0, 1],
      ['ack id', 1, 1],
      ['json', 2, 18],
    ]);
    expect(decodeSocketPacket('30[{"type":"pong"}]')).toMatchObject({ name: 'ACK', ackId: 0 });
  });

  it('BINARY_EVENT: attachment count and placeholder', () => {
    const packet = decodeSocketPacket('51-["quote",{"_placeholder":true,"num":0},"off"]')!;
    expect(packet).toMatchObject({ name: 'BINARY_EVENT', attachments: 1 });
    expect(packet.parts.map((p) => p.what)).toEqual(['type', 'attachments', 'json']);
    expect(isPlaceholder((packet.data as unknown[])[1])).toBe(true);
    expect(isPlaceholder({ num: 0 })).toBe(false);
  });

  it('a namespace other than / and a DISCONNECT', () => {
    expect(decodeSocketPacket('2/admin,7["x"]')).toMatchObject({ nsp: '/admin', ackId: 7, data: ['x'] });
    expect(decodeSocketPacket('1')).toMatchObject({ name: 'DISCONNECT', data: undefined });
    expect(decodeSocketPacket('2not json')).toBeNull();
  });

  it('measures the JSON part in bytes, not characters', () => {
    const packet = decodeSocketPacket('2["é"]')!;
    expect(packet.parts.at(-1)).toEqual({ offset: 1, length: 6, what: 'json' });
  });
});

describe('a recorded Chromium socket.io session', () => {
  const transcript = JSON.parse(
    readFileSync(new URL('fixtures/wire/chromium-socketio.transcript.json', import.meta.url), 'utf8'),
  ) as TranscriptFile;
  const texts: { dir: string; text: string }[] = [];
  const binaries: { dir: string; bytes: Uint8Array }[] = [];
  const pollingBodies: string[] = [];
  for (const conn of transcript.connections) {
    const stream = (dir: 'c2s' | 's2c') =>
      Buffer.concat(conn.chunks.filter((c) => c.dir === dir).map((c) => Buffer.from(c.data, 'base64')));
    const c2s = stream('c2s');
    const s2c = stream('s2c');
    const http = decodeHttpConnection(c2s, s2c);
    for (const { request, response } of http.exchanges) {
      for (const [bytes, message] of [
        [c2s, request],
        [s2c, response],
      ] as const) {
        if (message && message.body.length > 0 && message.body.framing.kind === 'length')
          pollingBodies.push(bytes.subarray(message.body.offset, message.body.offset + message.body.length).toString());
      }
    }
    if (!http.upgrade) continue;
    for (const [dir, bytes, from] of [
      ['c2s', c2s, http.upgrade.c2s],
      ['s2c', s2c, http.upgrade.s2c],
    ] as const) {
      for (const f of decodeFrames(bytes, from).frames) {
        if (f.opcode === 0x1) texts.push({ dir, text: Buffer.from(f.payload).toString() });
        if (f.opcode === 0x2) binaries.push({ dir, bytes: f.payload });
      }
    }
  }
  const has = (dir: string, pattern: RegExp) => texts.some((t) => t.dir === dir && pattern.test(t.text));

  it('polling handshake: an open packet with sid, upgrades and pingInterval, then CONNECT', () => {
    const open = pollingBodies.map((b) => decodeEngineText(b)).find((p) => p?.name === 'open');
    expect(JSON.parse(open!.data as string)).toMatchObject({
      sid: expect.any(String),
      upgrades: ['websocket'],
      pingInterval: expect.any(Number),
    });
    expect(pollingBodies.some((b) => /^40\{/.test(b))).toBe(true);
  });

  it('upgrade probe 2probe / 3probe / 5 over the WebSocket', () => {
    expect(has('c2s', /^2probe$/)).toBe(true);
    expect(has('s2c', /^3probe$/)).toBe(true);
    expect(has('c2s', /^5$/)).toBe(true);
  });

  it('event packets with the recovery offset, a binary placeholder and its attachment, heartbeats', () => {
    const events = texts.filter((t) => t.dir === 's2c' && t.text.startsWith('42')).map((t) => decodeSocketPacket(t.text.slice(1))!);
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const e of events) expect(typeof (e.data as unknown[]).at(-1)).toBe('string');
    const binary = texts.find((t) => t.dir === 's2c' && t.text.startsWith('451-'));
    expect(isPlaceholder((decodeSocketPacket(binary!.text.slice(1))!.data as unknown[])[1])).toBe(true);
    expect(binaries.filter((b) => b.dir === 's2c').map((b) => b.bytes.length)).toContain(32);
    expect(has('s2c', /^2$/)).toBe(true);
    expect(has('c2s', /^3$/)).toBe(true);
  });
});
