/**
 * No open handles after close: a full cycle (server, client, quotes, ping, close) on every
 * transport leaves no TCP server or socket behind in this process.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_TRANSPORTS, createClient } from '../clients/index.ts';
import { startServer } from '../servers/index.ts';
import { collect, tick, waitFor } from './helpers.ts';
import { caFor } from './trust.ts';

const NETWORK = ['TCPServerWrap', 'TCPSocketWrap', 'TCPWRAP', 'TLSWrap'];
const networkHandles = () => process.getActiveResourcesInfo().filter((type) => NETWORK.includes(type)).length;

describe('no open handles after close', () => {
  it.each(CLIENT_TRANSPORTS)('%s', async (transport) => {
    const before = networkHandles();
    const server = await startServer(transport, { rate: 0, heartbeatMs: 50 });
    const client = createClient(transport, { url: server.url, ca: await caFor(transport) });
    const received = collect(client);
    await client.connect();
    server.feed.publish();
    await waitFor(() => received.length === 1, 'a quote');
    await client.ping();
    expect(networkHandles()).toBeGreaterThan(before);
    await client.close();
    await server.close();
    await waitFor(() => networkHandles() === before, 'every socket to close', 3000).catch(() => undefined);
    await tick(10);
    expect(process.getActiveResourcesInfo().filter((type) => NETWORK.includes(type))).toHaveLength(before);
  });
});
