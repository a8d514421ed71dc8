/**
 * SSE wire-format facts read from a raw TCP socket (no HTTP client library in between): the
 * status and headers, the chunked body's field lines, the blank-line terminator, the heartbeat
 * comment, and that nothing compresses the stream even when the request offers gzip.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../servers/index.ts';
import type { ServerOptions } from '../servers/options.ts';
import { publish, waitFor } from './helpers.ts';

/** A raw HTTP/1.1 exchange: what the server wrote, split into head and de-chunked body. */
class RawRequest {
  raw = '';
  readonly socket: Socket;
  constructor(url: string, headers: Record<string, string> = {}) {
    const { hostname, port, pathname, search } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.raw += chunk));
    const lines = [
      `GET ${pathname}${search} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Accept: text/event-stream',
      'Accept-Encoding: gzip, deflate, br',
    ];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }
  get head(): string {
    return this.raw.split('\r\n\r\n')[0] ?? '';
  }
  header(name: string): string | undefined {
    const line = this.head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(name.length + 1).trim();
  }
  /** The body with chunked framing removed (size line, data, CRLF). */
  get body(): string {
    let rest = this.raw.slice(this.head.length + 4);
    let body = '';
    for (let match = /^([0-9a-f]+)\r\n/i.exec(rest); match; match = /^([0-9a-f]+)\r\n/i.exec(rest)) {
      const size = Number.parseInt(match[1]!, 16);
      const start = match[0].length;
      if (rest.length < start + size + 2) break; // chunk not complete yet
      body += rest.slice(start, start + size);
      rest = rest.slice(start + size + 2);
    }
    return body;
  }
}

describe('SSE on the wire', () => {
  let server: RunningServer;
  const sockets: Socket[] = [];
  const open = async (options: Partial<ServerOptions> = {}) => {
    server = await startServer('sse', { rate: 0, retryMs: 100, heartbeatMs: null, ...options });
  };
  const request = (path = '', headers: Record<string, string> = {}) => {
    const req = new RawRequest(`${server.url}${path}`, headers);
    sockets.push(req.socket);
    return req;
  };
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server.close();
  });

  it('answers 200 text/event-stream, uncompressed, unbuffered, chunked', async () => {
    await open();
    const req = request();
    await waitFor(() => req.raw.includes('\r\n\r\n'), 'response head');
    expect(req.head.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(req.header('content-type')).toBe('text/event-stream');
    expect(req.header('cache-control')).toBe('no-cache, no-transform');
    expect(req.header('x-accel-buffering')).toBe('no');
    expect(req.header('transfer-encoding')).toBe('chunked');
    expect(req.header('content-encoding')).toBeUndefined();
    expect(req.header('access-control-allow-origin')).toBeUndefined(); // no Origin sent: not a CORS request
  });

  it.each([
    ['on node:http (default)', false],
    ['through express (--express-stream)', true],
  ])('writes retry first, then id / event / data lines ended by a blank line, %s', async (_how, expressStream) => {
    await open({ expressStream });
    const req = request();
    await waitFor(() => server.stats.connections === 1, 'the stream to open');
    const frames = [server.feed.publish(), server.feed.publish()];
    await waitFor(() => req.body.split('\n\n').length >= 4, 'two events');
    const expected = `retry: 100\n\n${frames.map((f) => `id: ${f.quote.seq}\nevent: quote\ndata: ${f.json}\n\n`).join('')}`;
    expect(req.body).toBe(expected);
    expect(req.body).not.toContain('\r');
  });

  it('sends the binary layout as base64 text with ?format=base64', async () => {
    await open();
    const req = request('?format=base64');
    await waitFor(() => server.stats.connections === 1, 'the stream to open');
    const frame = server.feed.publish();
    await waitFor(() => req.body.includes('data: '), 'one event');
    const data = /data: (.*)\n/.exec(req.body)![1]!;
    expect(Buffer.from(data, 'base64').equals(frame.binary)).toBe(true);
    expect(data.length).toBe(Math.ceil(frame.binary.length / 3) * 4);
  });

  it('sends `:` comment heartbeats on an idle stream, and no retry line when retry is off', async () => {
    await open({ heartbeatMs: 20, retryMs: null });
    const req = request();
    await waitFor(() => (req.body.match(/^: heartbeat \d+\n\n/gm) ?? []).length >= 2, 'two heartbeats');
    expect(req.body).not.toContain('retry:');
    expect(req.body).toMatch(/^(: heartbeat \d+\n\n)+$/);
  });

  it.each([
    ['the Last-Event-ID header', '', { 'Last-Event-ID': '2' }],
    ['the ?lastEventId= query (the polyfill)', '?lastEventId=2', {}],
  ])('resumes after %s', async (_how, path, headers) => {
    await open();
    publish(server.feed, 5);
    const req = request(path, headers);
    await waitFor(() => (req.body.match(/^id: /gm) ?? []).length === 3, 'the three missed events');
    expect([...req.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([3, 4, 5]);
    expect(server.stats.resumed).toBe(1);
  });

  it('names a gap with a reset event when the replay buffer no longer has the id', async () => {
    await open({ replay: 5 });
    publish(server.feed, 20);
    const req = request('', { 'Last-Event-ID': '3' });
    await waitFor(() => (req.body.match(/^id: /gm) ?? []).length === 5, 'the buffered events');
    expect(req.body).toContain('event: reset\ndata: {"lastSeen":3,"firstAvailable":16,"missed":12,"reason":"expired"}\n\n');
    expect(req.body.indexOf('event: reset')).toBeLessThan(req.body.indexOf('id: 16'));
    expect(server.stats.resets).toBe(1);
  });

  it('says so with a reset event when the id is ahead of the feed (a previous process), then streams on', async () => {
    await open();
    publish(server.feed, 3);
    const req = request('', { 'Last-Event-ID': '99999999' });
    await waitFor(() => server.stats.connections === 1, 'the stream to open');
    const frame = server.feed.publish();
    await waitFor(() => req.body.includes('event: quote'), 'the next quote');
    // Its id is the feed's newest: a reconnect before the next quote resumes from there, not from 99999999 again.
    expect(req.body).toContain('id: 3\nevent: reset\ndata: {"lastSeen":99999999,"firstAvailable":4,"missed":0,"reason":"ahead"}\n\n');
    expect(req.body.indexOf('event: reset')).toBeLessThan(req.body.indexOf('id: 4'));
    expect([...req.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([3, frame.quote.seq]);
    expect(server.stats).toMatchObject({ resumed: 0, resets: 1 });
  });

  it.each(['abc', '-4', '1e3', ''])('ignores a Last-Event-ID of %j and streams fresh', async (value) => {
    await open();
    publish(server.feed, 3);
    const req = request('', { 'Last-Event-ID': value });
    await waitFor(() => server.stats.connections === 1, 'the stream to open');
    const frame = server.feed.publish();
    await waitFor(() => req.body.includes('id: '), 'the next event');
    expect([...req.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([frame.quote.seq]);
    expect(req.body).not.toContain('event: reset');
  });
});
