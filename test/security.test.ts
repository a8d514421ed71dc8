/**
 * Secure by default, and bad input gets a clear answer with nothing lost: the Origin allowlist
 * on every transport (SSE's checks run over HTTP/1.1 and HTTP/2 alike), payload limits, malformed
 * client messages, absurd resume points, the connection cap, and slow consumers that are dropped
 * without hurting anyone else.
 */
import { connect as connectHttp2 } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLIENT_TRANSPORTS, createClient, type LabClient, type ResetInfo, type WsClient } from '../clients/index.ts';
import type { ControlMessage } from '../servers/contract.ts';
import { LabError } from '../servers/errors.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import { resolveOptions, type ServerOptions } from '../servers/options.ts';
import { TRANSPORTS } from '../servers/transports.ts';
import { collect, publish, tick, waitFor } from './helpers.ts';
import { caFor, closeFetches, fetchFor } from './trust.ts';

const PAGE = 'http://127.0.0.1:8080'; // on the default allowlist
const EVIL = 'http://evil.example';

let server: RunningServer;
const cleanups: (() => unknown)[] = [];
const open = async (transport: RunningServer['transport'], options: Partial<ServerOptions> = {}) => {
  server = await startServer(transport, { rate: 0, heartbeatMs: null, retryMs: 100, ...options });
  return server;
};
const track = <T extends { close(): unknown }>(thing: T): T => {
  cleanups.push(() => thing.close());
  return thing;
};
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await closeFetches();
  await server?.close();
});

describe('options are validated eagerly', () => {
  it.each([
    [{ port: 70000 }, /port/],
    [{ rate: -1 }, /rate/],
    [{ seed: 1.5 }, /seed/],
    [{ heartbeatMs: 0 }, /heartbeatMs/],
    [{ allowOrigins: ['http://a.example/'] }, /no path or trailing slash/],
    [{ allowOrigins: ['*'] }, /allowed origin/],
  ])('%j is refused with LAB_BAD_OPTION', (input, message) => {
    expect(() => resolveOptions(input as Partial<ServerOptions>)).toThrow(LabError);
    expect(() => resolveOptions(input as Partial<ServerOptions>)).toThrow(message);
  });
});

/** The transports a browser opens with EventSource: SSE over HTTP/1.1 and over HTTP/2, one contract. */
const EVENT_STREAMS = CLIENT_TRANSPORTS.filter((t) => TRANSPORTS[t].browserApi === 'EventSource');

describe.each(EVENT_STREAMS)('%s CORS allowlist', (transport) => {
  it('reflects an allowed Origin with credentials and Vary, never *', async () => {
    await open(transport);
    publish(server.feed, 1);
    const fetch = await fetchFor(transport);
    const res = await fetch(`${server.url}?lastEventId=0`, { headers: { Origin: PAGE }, signal: AbortSignal.timeout(2000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/Origin/);
    await res.body?.cancel();
  });

  // --express-stream routes the HTTP/1.1 stream through express; HTTP/2 has no express.
  const expressStreams = TRANSPORTS[transport].http === '1.1' ? [false, true] : [false];
  it.each(expressStreams)('refuses a disallowed Origin with 403 and counts it (expressStream %s)', async (expressStream) => {
    await open(transport, { expressStream });
    const res = await (await fetchFor(transport))(server.url, { headers: { Origin: EVIL } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.json()).toMatchObject({ error: { code: 'LAB_ORIGIN_REFUSED' } });
    expect(server.stats.refused).toBe(1);
  });

  it('answers the preflight for POST /sse/ping from an allowed Origin only', async () => {
    await open(transport);
    const fetch = await fetchFor(transport);
    const preflight = (origin: string) =>
      fetch(new URL('/sse/ping', server.url), {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      });
    const ok = await preflight(PAGE);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect((await preflight(EVIL)).status).toBe(403);
  });
});

describe('WebSocket and socket.io Origin checks', () => {
  it('ws refuses the upgrade from a disallowed Origin with 403 and accepts an allowed one', async () => {
    await open('ws');
    await expect(createClient('ws', { url: server.url, headers: { Origin: EVIL }, reconnect: false }).connect()).rejects.toThrow(/403/);
    const ok = track(createClient('ws', { url: server.url, headers: { Origin: PAGE } }));
    await ok.connect();
    expect(server.stats.refused).toBe(1);
  });

  it.each([['polling'], ['websocket']] as const)('socket.io refuses a disallowed Origin over %s', async (transport) => {
    await open('socketio');
    const client = createClient('socketio', { url: server.url, headers: { Origin: EVIL }, transports: [transport], reconnect: false });
    await expect(client.connect()).rejects.toThrow(/socket.io connect failed/);
    const ok = track(createClient('socketio', { url: server.url, headers: { Origin: PAGE }, transports: [transport] }));
    await ok.connect();
    expect(server.stats.refused).toBeGreaterThanOrEqual(1);
  });
});

describe('bad client input', () => {
  it('ws: invalid JSON and unknown messages get an error message; the connection stays up', async () => {
    await open('ws');
    const client = track(createClient('ws', { url: server.url })) as WsClient;
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    client.send('{not json');
    client.send({ type: 'launch-missiles' });
    client.send({ type: 'subscribe', symbols: ['NOPE'] });
    await waitFor(() => errors.length === 3, 'three error messages');
    for (const error of errors) expect(error.message).toMatch(/LAB_BAD_MESSAGE/);
    expect((await client.ping()).rttMs).toBeGreaterThan(0);
    expect(client.counters.reconnects).toBe(0);
  });

  it('ws: subscribe narrows the stream to the named symbols', async () => {
    await open('ws');
    const client = track(createClient('ws', { url: server.url })) as WsClient;
    const received = collect(client);
    await client.connect();
    client.send({ type: 'subscribe', symbols: ['AAPL', 'MSFT'] });
    await client.ping(); // the subscribe has been handled once its later ping is answered
    const frames = Array.from({ length: 60 }, () => server.feed.publish());
    const wanted = frames.filter((f) => ['AAPL', 'MSFT'].includes(f.quote.symbol)).map((f) => f.quote.seq);
    await waitFor(() => received.length === wanted.length, 'the subscribed quotes');
    await client.ping(); // anything else would have arrived before this pong
    expect(received.map((m) => m.quote.seq)).toEqual(wanted);
  });

  it('ws: a message over maxPayload closes the connection with 1009', async () => {
    await open('ws', { maxPayloadBytes: 1024 });
    const raw = new WebSocket(server.url);
    await new Promise((resolve) => raw.once('open', resolve));
    const closed = new Promise<number>((resolve) => raw.once('close', resolve));
    raw.send('x'.repeat(2048));
    expect(await closed).toBe(1009);
  });

  it('socket.io: a ping without an ack or with a bad payload is answered with an error', async () => {
    await open('socketio');
    const socket = ioClient(server.url, { forceNew: true, transports: ['websocket'] });
    cleanups.push(() => socket.disconnect());
    const labErrors: unknown[] = [];
    socket.on('lab-error', (e) => labErrors.push(e));
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    socket.emit('ping', { t: 1 });
    const answer = await socket.timeout(2000).emitWithAck('ping', 'not an object');
    expect(answer).toMatchObject({ type: 'error', code: 'LAB_BAD_MESSAGE' });
    await waitFor(() => labErrors.length === 1, 'lab-error');
    expect(labErrors[0]).toMatchObject({ code: 'LAB_BAD_MESSAGE' });
    expect(socket.connected).toBe(true);
  });

  it('socket.io: a message over maxHttpBufferSize ends the connection', async () => {
    await open('socketio', { maxPayloadBytes: 1024 });
    const socket = ioClient(server.url, { forceNew: true, transports: ['websocket'], reconnection: false });
    cleanups.push(() => socket.disconnect());
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    socket.emit('ping', { t: 1, junk: 'x'.repeat(4096) });
    expect(await reason).toMatch(/transport (close|error)/);
  });

  it('an unknown format is refused with LAB_BAD_FORMAT on every transport', async () => {
    for (const transport of EVENT_STREAMS) {
      await open(transport);
      const res = await (await fetchFor(transport))(`${server.url}?format=xml`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'LAB_BAD_FORMAT' } });
      await server.close();
    }
    await open('ws');
    await expect(createClient('ws', { url: `${server.url}?format=xml`, reconnect: false }).connect()).rejects.toThrow(/400/);
    await server.close();
    await open('socketio');
    const socket = ioClient(server.url, { forceNew: true, auth: { format: 'xml' }, reconnection: false });
    cleanups.push(() => socket.disconnect());
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error.message).toMatch(/LAB_BAD_FORMAT/);
  });

  it('ws: an absurd ?since= (ahead of the feed) gets a reset saying so; a too-old one gets a reset naming the gap', async () => {
    await open('ws', { replay: 5 });
    publish(server.feed, 20);
    const ahead = track(createClient('ws', { url: server.url, since: 999999 }));
    const aheadResets: unknown[] = [];
    ahead.on('reset', (r) => aheadResets.push(r));
    const aheadReceived = collect(ahead);
    await ahead.connect();
    const old = track(createClient('ws', { url: server.url, since: 3 }));
    const resets: unknown[] = [];
    old.on('reset', (r) => resets.push(r));
    const oldReceived = collect(old);
    await old.connect();
    await waitFor(() => oldReceived.length === 5, 'the buffered quotes');
    expect(resets).toEqual([{ type: 'reset', lastSeen: 3, firstAvailable: 16, missed: 12, reason: 'expired' } satisfies ControlMessage]);
    expect(oldReceived.map((m) => m.quote.seq)).toEqual([16, 17, 18, 19, 20]);
    await ahead.ping();
    expect(aheadReceived).toHaveLength(0);
    expect(aheadResets).toEqual([
      { type: 'reset', lastSeen: 999999, firstAvailable: 21, missed: 0, reason: 'ahead' } satisfies ControlMessage,
    ]);
    expect(ahead.lastSeq).toBe(20);
    expect(server.stats).toMatchObject({ resumed: 1, resets: 2 });
  });
});

describe.each(EVENT_STREAMS)('%s bad input', (transport) => {
  it('POST /sse/ping: bad JSON is 400, a missing t is 400, an oversize body is 413, all as JSON', async () => {
    await open(transport, { maxPayloadBytes: 256 });
    const fetch = await fetchFor(transport);
    const post = (body: string) =>
      fetch(new URL('/sse/ping', server.url), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const bad = await post('{nope');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'LAB_BAD_MESSAGE' } });
    expect((await post('{"x":1}')).status).toBe(400);
    const big = await post(JSON.stringify({ t: 1, junk: 'x'.repeat(1000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'LAB_PAYLOAD_TOO_LARGE' } });
    const good = await post('{"t":5}');
    expect(await good.json()).toMatchObject({ type: 'pong', t: 5 });
  });

  it('an absurd lastEventId (ahead of the feed) gets a reset saying so; a too-old one gets a reset naming the gap', async () => {
    await open(transport, { replay: 5 });
    publish(server.feed, 20);
    const ca = await caFor(transport);
    const ahead = track(createClient(transport, { url: server.url, ca, since: 999999 }));
    const aheadResets: ResetInfo[] = [];
    ahead.on('reset', (r) => aheadResets.push(r));
    const aheadReceived = collect(ahead);
    await ahead.connect();
    const old = track(createClient(transport, { url: server.url, ca, since: 3 }));
    const resets: ResetInfo[] = [];
    old.on('reset', (r) => resets.push(r));
    const oldReceived = collect(old);
    await old.connect();
    await waitFor(() => oldReceived.length === 5, 'the buffered quotes');
    expect(resets).toEqual([{ lastSeen: 3, firstAvailable: 16, missed: 12, reason: 'expired' }]);
    expect(oldReceived.map((m) => m.quote.seq)).toEqual([16, 17, 18, 19, 20]);
    publish(server.feed, 1);
    await waitFor(() => oldReceived.length === 6 && aheadReceived.length > 0, 'quote 21 at both');
    expect(aheadResets).toEqual([{ lastSeen: 999999, firstAvailable: 21, missed: 0, reason: 'ahead' }]);
    expect(aheadReceived.map((m) => m.quote.seq)).toEqual([21]);
    expect(server.stats).toMatchObject({ resumed: 1, resets: 2 });
  });
});

describe('connection cap', () => {
  it.each(EVENT_STREAMS)('%s answers 503 with Retry-After', async (transport) => {
    await open(transport, { maxConnections: 1 });
    await track(createClient(transport, { url: server.url, ca: await caFor(transport) })).connect();
    const res = await (await fetchFor(transport))(server.url);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'LAB_CONNECTION_CAP' } });
    expect(server.stats.refused).toBe(1);
  });

  it('ws closes with 1013 (try again later)', async () => {
    await open('ws', { maxConnections: 1 });
    await track(createClient('ws', { url: server.url })).connect();
    const second = track(createClient('ws', { url: server.url, reconnect: false }));
    const closed = new Promise<{ code?: number | string }>((resolve) => second.on('close', resolve));
    await second.connect();
    expect((await closed).code).toBe(1013);
  });

  it('socket.io refuses the namespace connect with LAB_CONNECTION_CAP', async () => {
    await open('socketio', { maxConnections: 1 });
    await track(createClient('socketio', { url: server.url })).connect();
    await expect(createClient('socketio', { url: server.url, reconnect: false }).connect()).rejects.toThrow(/LAB_CONNECTION_CAP/);
  });
});

/**
 * A stalled reader: a real connection that completes its handshake and then never reads, so the
 * kernel buffers fill and the server's own buffer grows until maxBufferedBytes.
 */
async function stalledReader(transport: (typeof CLIENT_TRANSPORTS)[number], url: string): Promise<{ close(): void }> {
  const { hostname, port } = new URL(url);
  if (transport === 'sse') {
    const socket: Socket = netConnect(Number(port), hostname);
    socket.write(`GET /sse HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    socket.pause();
    return { close: () => socket.destroy() };
  }
  if (transport === 'sse-h2') {
    // A paused HTTP/2 stream sends no WINDOW_UPDATE: once the flow-control window is spent, the server's queue grows.
    const session = connectHttp2(new URL(url).origin, { ca: await caFor(transport) });
    const stream = session.request({ ':path': '/sse', accept: 'text/event-stream' }, { endStream: true });
    stream.on('error', () => {}); // reset by the server's drop
    await new Promise((resolve) => stream.once('response', resolve));
    stream.pause();
    return { close: () => session.destroy() };
  }
  const wsUrl = transport === 'ws' ? url : `ws://${hostname}:${port}/socket.io/?EIO=4&transport=websocket`;
  const raw = new WebSocket(wsUrl);
  // engine.io's open packet can come in the same read as the 101, so listen for it before 'open'.
  const openPacket = new Promise((resolve) => raw.once('message', resolve));
  await new Promise((resolve) => raw.once('open', resolve));
  if (transport === 'socketio') {
    await openPacket;
    raw.send('40'); // socket.io CONNECT to the main namespace
    await new Promise((resolve) => raw.once('message', resolve)); // the CONNECT answer
  }
  (raw as unknown as { _socket: Socket })._socket.pause();
  return { close: () => raw.terminate() };
}

describe.each(CLIENT_TRANSPORTS)('%s slow consumer', (transport) => {
  it('is dropped once its unsent bytes pass maxBufferedBytes; a healthy client misses nothing', async () => {
    await open(transport, { padding: 16 * 1024, maxBufferedBytes: 64 * 1024 });
    const healthy: LabClient = track(createClient(transport, { url: server.url, ca: await caFor(transport), transports: ['websocket'] }));
    const received = collect(healthy);
    await healthy.connect();
    const stalled = await stalledReader(transport, server.url);
    cleanups.push(() => stalled.close());
    await waitFor(() => server.stats.connections === 2, 'both clients connected');
    let published = 0;
    // One quote per macrotask, as the feed's own clock sends them.
    while (server.stats.dropped === 0 && published < 3000) {
      server.feed.publish();
      published++;
      await tick();
    }
    expect(server.stats.dropped).toBe(1);
    await waitFor(() => received.length === published, `all ${published} quotes at the healthy client`);
    expect(received.map((m) => m.quote.seq)).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    await waitFor(() => server.stats.connections === 1, 'the stalled client to be gone');
  });
});
