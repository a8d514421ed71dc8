/**
 * HTTP/1.1 framing on byte streams: heads, chunked bodies (sizes in hex, extensions, trailers, a
 * body cut off mid-chunk), keep-alive reuse and a 101 switch, as written by Node's own http server
 * (an independent encoder) and by hand where Node would not produce the case.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers.ts';
import { decodeHttpConnection, header, parseChunked, parseHead } from '../scripts/wire/decode/http.ts';

describe('HTTP heads', () => {
  it('parses a request line and header lines with offsets', () => {
    const bytes = Buffer.from('GET /sse HTTP/1.1\r\nHost: x\r\nAccept:  text/event-stream \r\n\r\nrest');
    const head = parseHead(bytes, 0)!;
    expect(head.request).toEqual({ method: 'GET', target: '/sse', version: 'HTTP/1.1' });
    expect(head.headers.map((h) => [h.name, h.value, h.offset, h.length])).toEqual([
      ['Host', 'x', 19, 9],
      ['Accept', 'text/event-stream', 28, 29],
    ]);
    expect(head.length).toBe(bytes.indexOf('rest'));
    expect(header(head, 'accept')).toBe('text/event-stream');
  });

  it('returns null for an incomplete head or something that is not HTTP', () => {
    expect(parseHead(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'), 0)).toBeNull();
    expect(parseHead(Buffer.from('\x81\x05hello\r\n\r\n'), 0)).toBeNull();
  });
});

describe('chunked transfer coding', () => {
  it('decodes sizes in hex, a chunk extension and a trailer', () => {
    const bytes = Buffer.from('1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT');
    const body = parseChunked(bytes, 0);
    expect(body.complete).toBe(true);
    expect(body.chunks.map((c) => c.sizeLine.size)).toEqual([26, 3, 0]);
    expect(bytes.subarray(body.chunks[0]!.data.offset, body.chunks[0]!.data.offset + 26).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(body.chunks[2]!.trailer!.length).toBe('X-Trailer: 1\r\n\r\n'.length);
    expect(body.end).toBe(bytes.indexOf('NEXT'));
  });

  it('reports a body cut off mid-chunk as incomplete, keeping what arrived', () => {
    const body = parseChunked(Buffer.from('5\r\nhello\r\na\r\nabc'), 0);
    expect(body.complete).toBe(false);
    expect(body.chunks.map((c) => [c.sizeLine.size, c.data.length, c.crlf !== null])).toEqual([
      [5, 5, true],
      [10, 3, false],
    ]);
  });

  it('reports a last chunk whose trailer has no empty line yet as incomplete, ending after the lines that arrived', () => {
    const bytes = Buffer.from('3\r\nabc\r\n0\r\nX-Trailer: 1\r\nX-Tr');
    const body = parseChunked(bytes, 0);
    expect(body.complete).toBe(false);
    const last = body.chunks.at(-1)!;
    expect([last.last, last.trailer, last.data.length, last.crlf]).toEqual([true, null, 0, null]);
    expect(body.end).toBe(bytes.lastIndexOf('X-Tr'));
    expect(last.length).toBe(body.end - last.offset);
  });
});

describe("a connection recorded from Node's http server", () => {
  it('decodes keep-alive requests: a Content-Length body, a chunked stream ended by its last chunk, then a 101', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/len') res.end('hello');
      else if (req.url === '/stream') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('data: 1\n\n');
        setImmediate(() => res.end('data: 2\n\n'));
      }
    });
    const frame = Buffer.from([0x81, 0x02, 0x68, 0x69]); // a 2-byte text frame "hi"
    server.on('upgrade', (_req, socket) =>
      socket.end(
        Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), frame]),
      ),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const sent: string[] = [];
    const send = (text: string) => {
      sent.push(text);
      socket.write(text);
    };
    let ended = false;
    socket.once('end', () => (ended = true));
    const seen = (needle: string) => waitFor(() => Buffer.concat(received).includes(needle), `${JSON.stringify(needle)} from the server`);
    try {
      send('GET /len HTTP/1.1\r\nHost: x\r\n\r\n');
      await seen('hello');
      send('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
      await seen('0\r\n\r\n');
      send('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      await waitFor(() => ended, 'the server to end the connection after the 101');
    } finally {
      socket.destroy();
      server.close();
    }
    const http = decodeHttpConnection(Buffer.from(sent.join('')), Buffer.concat(received));
    expect(
      http.exchanges.map((e) => [e.request.head.request!.target, e.response!.head.response!.status, e.response!.body.framing.kind]),
    ).toEqual([
      ['/len', 200, 'length'],
      ['/stream', 200, 'chunked'],
      ['/ws', 101, 'none'],
    ]);
    const stream = http.exchanges[1]!.response!.body.chunked!;
    expect(stream.complete).toBe(true);
    expect(stream.chunks.at(-1)!.last).toBe(true);
    // The frame after the 101 is left for the WebSocket decoder.
    expect(Buffer.concat(received).subarray(http.upgrade!.s2c).equals(frame)).toBe(true);
  });
});
