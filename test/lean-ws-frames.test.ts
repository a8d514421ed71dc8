/**
 * The lean ws reader's hand-written frames (clients/lean/ws-frames.ts): a server's frame stream
 * read whole and split at every byte, fragments with control frames between them, the three length
 * forms, the violations it refuses; a client frame as the `ws` library's own receiver reads it; and
 * the reader's handshake and pongs against a `ws` server and raw ones.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { connectLean } from '../clients/lean/index.ts';
import { acceptFor, clientFrame, FrameReader, MalformedFrames, OPCODE } from '../clients/lean/ws-frames.ts';
import { waitFor } from './helpers.ts';

const { WebSocketServer } = ws;
/** The `ws` library's frame receiver (exported, not in its type definitions): a server's reading of client frames. */
const { Receiver } = ws as unknown as {
  Receiver: new (options: { isServer: boolean }) => Writable & { on(event: 'message', listener: (data: Buffer) => void): void };
};

/** A server's (unmasked) frame. */
function frame(opcode: number, payload: string | Buffer, fin = true, rsv = 0): Buffer {
  const body = Buffer.from(payload);
  const length = body.length;
  const head = length < 126 ? Buffer.from([0, length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65_536) {
    head[1] = 126;
    head.writeUInt16BE(length, 2);
  } else if (length >= 65_536) {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  head[0] = (fin ? 0x80 : 0) | rsv | opcode;
  return Buffer.concat([head, body]);
}

/** What a FrameReader hands its handlers for `bytes` pushed `size` at a time (0: whole), in order. */
function readIn(bytes: Buffer, size = 0): string[] {
  const seen: string[] = [];
  const reader = new FrameReader({
    text: (text) => void seen.push(`text ${text}`),
    ping: (payload) => void seen.push(`ping ${payload.toString()}`),
    close: (code) => void seen.push(`close ${code}`),
  });
  const step = size || bytes.length;
  // Each push gets its own copy, overwritten after the push as the shared read buffer would be.
  for (let i = 0; i < bytes.length; i += step) {
    const piece = Buffer.from(bytes.subarray(i, i + step));
    reader.push(piece);
    piece.fill(0);
  }
  return seen;
}

describe('ws-frames: a server’s frames read by hand', () => {
  const medium = 'm'.repeat(300);
  const large = 'L'.repeat(70_000);
  const stream = Buffer.concat([
    frame(OPCODE.text, '{"seq":1}'),
    frame(OPCODE.text, medium),
    frame(OPCODE.text, large),
    frame(OPCODE.text, 'frag-', false),
    frame(OPCODE.ping, 'p1'),
    frame(OPCODE.continuation, 'ment', false),
    frame(OPCODE.pong, 'ignored'),
    frame(OPCODE.continuation, 'ed'),
    frame(OPCODE.binary, Buffer.from([1, 2, 3])),
    frame(OPCODE.binary, 'bin', false),
    frame(OPCODE.continuation, 'ary'),
    frame(OPCODE.text, 'é😀'),
    frame(OPCODE.close, Buffer.from([0x03, 0xf5, 0x62, 0x79, 0x65])),
  ]);
  const expected = ['text {"seq":1}', `text ${medium}`, `text ${large}`, 'ping p1', 'text frag-mented', 'text é😀', 'close 1013'];

  it.each([0, 1, 2, 3, 127, 4096])('reads every form, fragments and control frames between them, pushed %i bytes at a time', (size) => {
    expect(readIn(stream, size)).toEqual(expected);
  });

  it('reads a close frame without a code as 1005, and nothing after a close frame', () => {
    expect(readIn(Buffer.concat([frame(OPCODE.close, ''), frame(OPCODE.text, 'late')]))).toEqual(['close 1005']);
  });

  it.each([
    ['a masked frame', Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x41])],
    ['RSV bits with no extension', frame(OPCODE.text, 'x', true, 0x40)],
    ['a fragmented control frame', frame(OPCODE.ping, 'x', false)],
    ['a control frame over 125 bytes', frame(OPCODE.ping, 'p'.repeat(126))],
    ['an unknown opcode', frame(0x3, 'x')],
    ['a continuation with no message under way', frame(OPCODE.continuation, 'x')],
    ['a new message inside a fragmented one', Buffer.concat([frame(OPCODE.text, 'a', false), frame(OPCODE.text, 'b')])],
    ['a frame over 1 MiB', frame(OPCODE.text, 'x'.repeat(1024 * 1024 + 1))],
    ['a close frame of 1 byte', frame(OPCODE.close, Buffer.from([3]))],
  ])('refuses %s', (_name, bytes) => {
    expect(() => readIn(bytes)).toThrow(MalformedFrames);
  });
});

describe('ws-frames: a client’s frame', () => {
  it.each([0, 5, 125, 126, 65_535, 65_536])('of %i bytes is masked and read back by the ws library’s receiver', async (length) => {
    const payload = Buffer.alloc(length, 'q');
    const receiver = new Receiver({ isServer: true });
    const message = new Promise<Buffer>((resolve) => receiver.on('message', (data: Buffer) => resolve(data)));
    const bytes = clientFrame(OPCODE.text, payload);
    expect(bytes[1]! & 0x80).toBe(0x80);
    receiver.write(bytes);
    expect(Buffer.from(await message)).toEqual(payload);
  });
});

describe('lean ws reader: handshake and protocol pings', () => {
  const servers: (ws.WebSocketServer | Server)[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });
  async function listening<T extends ws.WebSocketServer | Server>(server: T): Promise<string> {
    servers.push(server);
    if (server instanceof WebSocketServer) await once(server, 'listening');
    else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  }
  const quiet = { onQuote: () => {} };

  it('answers a protocol ping with a pong carrying its payload', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const url = await listening(server);
    const pong = new Promise<string>((resolve) =>
      server.on('connection', (socket) => {
        socket.on('pong', (data: Buffer) => resolve(data.toString()));
        socket.ping('are you there');
      }),
    );
    const reader = await connectLean('ws', { url, ...quiet });
    expect(await pong).toBe('are you there');
    reader.close();
  });

  /** A raw server that answers the upgrade properly (its accept key), then writes `after` in the same write. */
  function upgradeThen(after: Buffer): Server {
    return createServer((socket) =>
      socket.once('data', (request: Buffer) => {
        const key = /sec-websocket-key: (\S+)/i.exec(request.toString('latin1'))?.[1] ?? '';
        const head =
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`;
        socket.end(Buffer.concat([Buffer.from(head), after]));
      }),
    );
  }

  it('opens on a 101 that comes with a quote and a close frame in one read, and calls onClose only after', async () => {
    const quote = JSON.stringify({ seq: 1, symbol: 'A', price: 1, ts: 2 });
    const url = await listening(upgradeThen(Buffer.concat([frame(OPCODE.text, quote), frame(OPCODE.close, Buffer.from([0x03, 0xf5]))])));
    const seqs: number[] = [];
    const closes: string[] = [];
    await connectLean('ws', { url, onQuote: (seq) => void seqs.push(seq), onClose: (reason) => void closes.push(reason) });
    expect(closes).toEqual([]); // the caller holds the reader before its end is told
    await waitFor(() => closes.length > 0, 'the close');
    expect({ seqs, closes }).toEqual({ seqs: [1], closes: ['close 1013'] });
  });

  it.each([
    ['a 101 without Upgrade: websocket', 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n', 'WS_HANDSHAKE'],
    [
      'a 101 with the wrong accept key',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n',
      'WS_HANDSHAKE',
    ],
    ['a refusal', 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', 'HTTP_403'],
    ['a refusal with a body', 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy', 'HTTP_503'],
  ])('fails the connect on %s', async (_name, answer, code) => {
    const url = await listening(createServer((socket) => socket.once('data', () => socket.end(answer))));
    await expect(connectLean('ws', { url, ...quiet })).rejects.toMatchObject({ code });
  });
});
