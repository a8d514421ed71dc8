/**
 * The RFC 6455 frame decoder against two independent sources: frames made by the `ws` library's
 * own encoder (Sender.frame, the bytes ws writes to its socket) with and without a mask and with
 * 7-, 16- and 64-bit lengths; and the frames Chromium and the lab's ws server exchanged in a
 * recorded wire session. Also the accept hash against RFC 6455's own worked example.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { decodeHttpConnection, header } from '../scripts/wire/decode/http.ts';
import { acceptFor } from '../clients/lean/ws-frames.ts';
import { decodeFrames } from '../scripts/wire/decode/websocket.ts';
import type { TranscriptFile } from '../scripts/wire/types.ts';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
  generateMask?: (mask: Buffer) => void;
}
// ws exports its Sender at runtime; @types/ws does not declare it.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
const frame = (data: Buffer, options: Partial<FrameOptions>): Buffer =>
  Buffer.concat(Sender.frame(data, { fin: true, opcode: 0x2, mask: false, readOnly: false, rsv1: false, ...options }));

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const fixedMask = (mask: Buffer) => KEY.copy(mask);

describe('WebSocket frames made by the ws library', () => {
  const cases = [
    { length: 5, form: '7-bit', header: 2 },
    { length: 125, form: '7-bit', header: 2 },
    { length: 126, form: '16-bit', header: 4 },
    { length: 65535, form: '16-bit', header: 4 },
    { length: 65536, form: '64-bit', header: 10 },
    { length: 70000, form: '64-bit', header: 10 },
  ] as const;

  for (const { length, form, header } of cases) {
    for (const masked of [false, true]) {
      it(`${length} bytes, ${masked ? 'masked' : 'unmasked'}: ${form} length`, () => {
        const payload = Buffer.alloc(length, 0).map((_, i) => (i * 31) & 0xff);
        const bytes = frame(Buffer.from(payload), masked ? { mask: true, generateMask: fixedMask } : {});
        const { frames, end } = decodeFrames(bytes);
        expect(end).toBe(bytes.length);
        expect(frames).toHaveLength(1);
        const f = frames[0]!;
        expect(f).toMatchObject({
          fin: true,
          opcode: 0x2,
          opcodeName: 'binary',
          masked,
          lengthForm: form,
          payloadLength: length,
          complete: true,
        });
        expect(f.headerLength).toBe(header + (masked ? 4 : 0));
        expect(f.maskKey ? Buffer.from(f.maskKey) : null).toEqual(masked ? KEY : null);
        expect(Buffer.from(f.payload).equals(Buffer.from(payload))).toBe(true);
        if (masked) expect(bytes.subarray(f.payloadOffset).equals(Buffer.from(payload))).toBe(false);
      });
    }
  }

  it('decodes text, ping, pong, a close code and a fragmented message in one stream', () => {
    const stream = Buffer.concat([
      frame(Buffer.from('héllo'), { opcode: 0x1 }),
      frame(Buffer.alloc(0), { opcode: 0x9, mask: true, generateMask: fixedMask }),
      frame(Buffer.from('tick'), { opcode: 0xa }),
      frame(Buffer.from('par'), { opcode: 0x1, fin: false }),
      frame(Buffer.from('ts'), { opcode: 0x0 }),
      frame(Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from('going')]), { opcode: 0x8, mask: true, generateMask: fixedMask }),
    ]);
    const { frames, end } = decodeFrames(stream);
    expect(end).toBe(stream.length);
    expect(frames.map((f) => [f.opcodeName, f.fin, f.masked])).toEqual([
      ['text', true, false],
      ['ping', true, true],
      ['pong', true, false],
      ['text', false, false],
      ['continuation', true, false],
      ['close', true, true],
    ]);
    expect(Buffer.from(frames[0]!.payload).toString()).toBe('héllo');
    expect(frames[5]!.close).toEqual({ code: 1001, reason: 'going' });
  });

  it('stops at a frame cut off by the end of the bytes and says so', () => {
    const whole = Buffer.concat([frame(Buffer.from('one'), { opcode: 0x1 }), frame(Buffer.alloc(300, 1), {})]);
    const cut = whole.subarray(0, whole.length - 10);
    const { frames, end } = decodeFrames(cut);
    expect(frames.map((f) => f.complete)).toEqual([true, false]);
    expect(frames[1]!.payload.length).toBe(290);
    expect(end).toBe(cut.length);
    // A header that is itself incomplete is left undecoded.
    expect(decodeFrames(whole.subarray(0, 5 + 3)).end).toBe(5);
  });
});

describe('the opening handshake', () => {
  it("computes RFC 6455's worked example (section 1.3)", () => {
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('WebSocket bytes Chromium and the lab server exchanged (recorded)', () => {
  const transcript = JSON.parse(
    readFileSync(new URL('fixtures/wire/chromium-ws.transcript.json', import.meta.url), 'utf8'),
  ) as TranscriptFile;

  for (const conn of transcript.connections) {
    it(`connection ${conn.conn}: an HTTP upgrade, then nothing but frames`, () => {
      const stream = (dir: 'c2s' | 's2c') =>
        Buffer.concat(conn.chunks.filter((c) => c.dir === dir).map((c) => Buffer.from(c.data, 'base64')));
      const c2s = stream('c2s');
      const s2c = stream('s2c');
      const http = decodeHttpConnection(c2s, s2c);
      expect(http.upgrade).not.toBeNull();
      const { request, response } = http.exchanges[0]!;
      expect(request.head.request).toMatchObject({ method: 'GET', version: 'HTTP/1.1' });
      expect(header(request.head, 'upgrade')).toBe('websocket');
      expect(response!.head.response!.status).toBe(101);
      expect(header(response!.head, 'sec-websocket-accept')).toBe(acceptFor(header(request.head, 'sec-websocket-key')!));

      const up = decodeFrames(c2s, http.upgrade!.c2s);
      const down = decodeFrames(s2c, http.upgrade!.s2c);
      expect(up.end).toBe(c2s.length);
      expect(down.end).toBe(s2c.length);
      // RFC 6455 §5.1: every client frame masked, no server frame masked.
      expect(up.frames.every((f) => f.masked && f.maskKey !== null)).toBe(true);
      expect(down.frames.every((f) => !f.masked)).toBe(true);
      // Both sides closed with a close frame carrying a code.
      expect(up.frames.at(-1)!.close?.code).toBeTypeOf('number');
      expect(down.frames.some((f) => f.opcode === 0x8 && f.close?.code === up.frames.at(-1)!.close!.code)).toBe(true);
    });
  }
});
