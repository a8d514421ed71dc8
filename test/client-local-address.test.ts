/**
 * `localAddress`: every Node client binds its sockets to the address it is given, so a server (or nginx's
 * `hash $remote_addr` in front of a cluster) sees distinct clients from one machine. Each case records the remote
 * address of every TCP connection a real lab server accepts while one client connects and receives a quote,
 * including each long-poll request of socket.io and the WebSocket it upgrades to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LabClient, type SocketIoClient } from '../clients/index.ts';
import { type RunningServer, startServer, type Transport } from '../servers/index.ts';
import { labCertificate } from '../servers/tls.ts';
import { publish, waitFor } from './helpers.ts';

const LOCAL = '127.0.0.7';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The remote address of every connection the server accepts from now on (ServerStats tracks each accepted socket). */
function remoteAddresses(server: RunningServer): string[] {
  const seen: string[] = [];
  const sockets = server.stats.sockets;
  const add = sockets.add.bind(sockets);
  sockets.add = (socket) => {
    seen.push(socket.remoteAddress ?? 'unknown');
    return add(socket);
  };
  return seen;
}

/** A client bound to LOCAL, connected to a fresh server, once it has a quote: the addresses the server saw. */
async function connectFrom(transport: Transport, options: { tls?: boolean; transports?: ('polling' | 'websocket')[] } = {}) {
  const server = await startServer(transport, { rate: 0, tls: options.tls ?? false });
  cleanups.push(() => server.close());
  const seen = remoteAddresses(server);
  const ca = options.tls ? (await labCertificate()).cert : undefined;
  const client: LabClient = createClient(transport as 'sse' | 'ws' | 'socketio', {
    url: server.url,
    localAddress: LOCAL,
    ...(ca ? { ca } : {}),
    ...(options.transports ? { transports: options.transports } : {}),
  });
  cleanups.push(() => client.close());
  let quotes = 0;
  client.on('quote', () => quotes++);
  await client.connect();
  publish(server.feed, 1);
  await waitFor(() => quotes >= 1, 'a quote');
  return { seen, client };
}

describe('a client bound to a local address', () => {
  it.each([
    ['sse', false],
    ['sse', true],
    ['ws', false],
  ] as const)('%s (TLS %s): the server sees it', async (transport, tls) => {
    const { seen } = await connectFrom(transport, { tls });
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([LOCAL]));
  });

  it.each([[['polling']], [['websocket']]] as const)('socketio over %j: every request comes from it', async (transports) => {
    const { seen, client } = await connectFrom('socketio', { transports: [...transports] });
    expect((client as SocketIoClient).engineTransport).toBe(transports[0]);
    // Long-polling: the handshake, the CONNECT packet and the polls are requests of their own.
    expect(seen.length).toBeGreaterThanOrEqual(transports[0] === 'polling' ? 2 : 1);
    expect(new Set(seen)).toEqual(new Set([LOCAL]));
  });

  it('socketio polling, then its upgrade to a WebSocket: both from it', async () => {
    const { seen, client } = await connectFrom('socketio');
    await waitFor(() => (client as SocketIoClient).engineTransport === 'websocket', 'the upgrade');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen)).toEqual(new Set([LOCAL]));
  });
});
