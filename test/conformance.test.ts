/**
 * One conformance suite, run against every transport the same way: same seed, same quotes,
 * in order, no gaps; resume across a dropped connection with no loss and no duplicate; a
 * client-to-server round trip; binary bytes equal to the documented layout; graceful close.
 * The feed runs at rate 0 and the test publishes by hand, so nothing depends on timing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_TRANSPORTS, createClient, type ClientOptions, type LabClient } from '../clients/index.ts';
import { BINARY_HEADER_BYTES } from '../servers/contract.ts';
import type { Frame } from '../servers/feed.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import { collect, key, publish, reference, waitFor } from './helpers.ts';
import { caFor } from './trust.ts';

const SEED = 7;

describe.each(CLIENT_TRANSPORTS)('%s conformance', (transport) => {
  let server: RunningServer;
  let clients: LabClient[];
  let ca: string | undefined;

  beforeEach(async () => {
    ca = await caFor(transport);
    server = await startServer(transport, { seed: SEED, rate: 0, retryMs: 100, heartbeatMs: null });
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  const connect = async (options: Partial<ClientOptions> = {}) => {
    const client = createClient(transport, { url: server.url, ca, reconnectMs: 100, ...options });
    clients.push(client);
    const received = collect(client);
    await client.connect();
    return { client, received };
  };

  it('delivers the seeded sequence in order with no gaps', async () => {
    const { received } = await connect();
    publish(server.feed, 25);
    await waitFor(() => received.length >= 25, '25 quotes');
    expect(received.map((m) => key(m.quote))).toEqual(reference(SEED, 25));
  });

  it('resumes after a dropped connection with nothing lost and nothing duplicated', async () => {
    const { client, received } = await connect();
    publish(server.feed, 5);
    await waitFor(() => received.length === 5, 'first 5 quotes');
    server.drop('destroy');
    await waitFor(() => server.stats.connections === 0, 'server to see the drop');
    publish(server.feed, 5); // sent while the client is away
    await waitFor(() => client.counters.reconnects === 1, 'the reconnect');
    publish(server.feed, 5);
    await waitFor(() => received.length >= 15, '15 quotes');
    expect(received.map((m) => m.quote.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(server.stats.resumed).toBe(1);
    expect(client.counters.resets).toBe(0);
  });

  it('answers a client-to-server ping', async () => {
    const { client } = await connect();
    const pongs = [await client.ping(), await client.ping(), await client.ping()];
    for (const pong of pongs) {
      expect(pong.rttMs).toBeGreaterThan(0);
      expect(typeof pong.serverTs).toBe('number');
    }
  });

  it('carries the documented binary layout byte for byte', async () => {
    const frames: Frame[] = [];
    server.feed.subscribe((frame) => frames.push(frame));
    const { received } = await connect({ format: 'binary' });
    publish(server.feed, 5);
    await waitFor(() => received.length === 5, '5 binary quotes');
    received.forEach((message, i) => {
      const bytes = typeof message.raw === 'string' ? Buffer.from(message.raw, 'base64') : Buffer.from(message.raw);
      expect(bytes.equals(frames[i]!.binary)).toBe(true);
      expect(bytes.length).toBe(BINARY_HEADER_BYTES);
      expect(bytes.readUInt32LE(0)).toBe(frames[i]!.quote.seq);
      expect(bytes.readDoubleLE(4)).toBe(frames[i]!.quote.ts);
      expect(bytes.readDoubleLE(12)).toBe(frames[i]!.quote.price);
      expect(bytes.subarray(20, 28).toString('ascii').replace(/\0+$/, '')).toBe(frames[i]!.quote.symbol);
      expect(message.quote).toEqual(frames[i]!.quote);
    });
  });

  it('closes gracefully: the client is told, the server lets go', async () => {
    const { client } = await connect({ reconnect: false });
    const closed = new Promise<{ code?: number | string; reason?: string }>((resolve) => client.on('close', resolve));
    await server.close();
    const info = await closed;
    if (transport === 'ws') expect(info.code).toBe(1001);
    if (transport === 'socketio') expect(info.reason).toBe('io server disconnect');
    expect(server.stats.connections).toBe(0);
    expect(server.stats.sockets.size).toBe(0);
    server = await startServer(transport, { rate: 0 }); // for afterEach
  });
});
