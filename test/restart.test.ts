/**
 * A restart must not go backwards in silence (issue 11). A resume id ahead of the server's feed (from
 * a process before a restart, or made up) gets an explicit `reset` with reason `ahead` first, then the
 * server's own quotes in order, and the clients follow the new numbering: a later drop resumes in it
 * with nothing lost and no second reset. First against in-process servers of every transport that
 * resumes by id (sse, sse-h2, ws), then as a user meets it: the CLI server, SIGTERM, the same command on
 * the same port, the client resuming with the last id it saw. socket.io keeps its own recovery: after a
 * restart the new process knows neither session nor offset, so it does not recover and sends no reset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LabClient, type ResetInfo, type SocketIoClient } from '../clients/index.ts';
import { startServer, type RunningServer } from '../servers/index.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import type { Transport } from '../servers/transports.ts';
import { spawnServer, type SpawnedServer } from '../scripts/lib/spawn-server.ts';
import { collect, key, publish, reference, waitFor } from './helpers.ts';
import { caFor, closeFetches, fetchFor } from './trust.ts';

const SEED = 7;
const RESUMING = ['sse', 'sse-h2', 'ws'] as const;

/** What a client saw, in arrival order: each reset's body, and each quote's seq. */
function timeline(client: LabClient): (ResetInfo | number)[] {
  const seen: (ResetInfo | number)[] = [];
  // ws hands over the whole control message; only the reset's body is compared.
  client.on('reset', ({ lastSeen, firstAvailable, missed, reason }) => seen.push({ lastSeen, firstAvailable, missed, reason }));
  client.on('quote', (message) => seen.push(message.quote.seq));
  return seen;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await closeFetches();
});

describe.each(RESUMING)('%s: a resume id ahead of the feed', (transport) => {
  const open = async () => {
    const server: RunningServer = await startServer(transport, { seed: SEED, rate: 0, retryMs: 100, heartbeatMs: null });
    cleanups.push(() => server.close());
    return server;
  };
  const connect = async (server: RunningServer, since: number) => {
    const client = createClient(transport, { url: server.url, ca: await caFor(transport), since, reconnectMs: 100 });
    cleanups.push(() => client.close());
    const seen = timeline(client);
    const received = collect(client);
    await client.connect();
    return { client, seen, received };
  };

  it('gets a reset saying so first, then the feed’s quotes in order; a later drop resumes in the new numbering', async () => {
    const server = await open();
    publish(server.feed, 10);
    const { client, seen, received } = await connect(server, 301);
    publish(server.feed, 5);
    await waitFor(() => received.length === 5, 'quotes 11..15');
    expect(seen).toEqual([{ lastSeen: 301, firstAvailable: 11, missed: 0, reason: 'ahead' }, ...range(11, 15)]);
    expect(received.map((m) => key(m.quote))).toEqual(reference(SEED, 15).slice(10));
    expect(client.lastSeq).toBe(15);
    expect(client.counters.resets).toBe(1);
    expect(server.stats).toMatchObject({ resumed: 0, resets: 1 });

    server.drop('destroy');
    await waitFor(() => server.stats.connections === 0, 'the server to see the drop');
    publish(server.feed, 3); // while the client is away
    await waitFor(() => client.counters.reconnects === 1, 'the reconnect');
    publish(server.feed, 2);
    await waitFor(() => received.length === 10, 'quotes 16..20');
    expect(seen.slice(6)).toEqual(range(16, 20));
    expect(server.stats).toMatchObject({ resumed: 1, resets: 1 });
  });

  it('resumes in the new numbering even when the drop comes before its first quote', async () => {
    const server = await open(); // a feed that has published nothing yet: the next quote is 1
    const { client, seen, received } = await connect(server, 301);
    await waitFor(() => client.counters.resets === 1, 'the reset');
    expect(seen).toEqual([{ lastSeen: 301, firstAvailable: 1, missed: 0, reason: 'ahead' }]);
    server.drop('destroy');
    await waitFor(() => server.stats.connections === 0, 'the server to see the drop');
    publish(server.feed, 3); // while the client is away: it must get them, not another reset
    await waitFor(() => client.counters.reconnects === 1, 'the reconnect');
    await waitFor(() => received.length === 3, 'quotes 1..3');
    expect(seen.slice(1)).toEqual([1, 2, 3]);
    expect(client.counters.resets).toBe(1);
    expect(server.stats).toMatchObject({ resumed: 1, resets: 1 });
  });
});

describe('the issue’s scenario: the CLI server restarted on the same port', () => {
  /** Starts the CLI server; `stop` runs after the test if the test did not. */
  const spawn = async (transport: Transport, args: string[]) => {
    const server = await spawnServer(transport, ['--seed', String(SEED), '--rate', '50', '--retry', '100', ...args]);
    cleanups.push(() => server.stop('SIGKILL'));
    return server;
  };
  const stats = async (transport: Transport, server: SpawnedServer) =>
    (await (await (await fetchFor(transport))(server.ready.stats)).json()) as StatsSnapshot;

  it.each(RESUMING)(
    '%s: SIGTERM, start again, resume with the last id: an explicit reset (ahead), never a silent step back',
    async (transport) => {
      const first = await spawn(transport, ['--port', '0']);
      const client = createClient(transport, { url: first.ready.url, ca: await caFor(transport), reconnectMs: 100 });
      cleanups.push(() => client.close());
      const seen = timeline(client);
      const received = collect(client);
      await client.connect();
      // Far enough ahead that the restarted process (50 quotes/s too) is still behind when the client is back.
      await waitFor(() => received.length >= 100, '100 quotes from the first process');
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await spawn(transport, ['--port', new URL(first.ready.url).port]);
      expect(second.ready.url).toBe(first.ready.url);
      const at = () => seen.findIndex((e) => typeof e !== 'number');
      await waitFor(() => at() !== -1 && seen.length > at() + 10, 'the reset and 10 quotes after it');
      const before = seen.slice(0, at()) as number[];
      const lastBefore = before.at(-1)!;
      expect(before).toEqual(range(before[0]!, lastBefore)); // the first process: in order, no gap
      const reset = seen[at()] as ResetInfo;
      expect(reset).toEqual({ lastSeen: lastBefore, firstAvailable: expect.any(Number), missed: 0, reason: 'ahead' });
      expect(reset.firstAvailable).toBeLessThanOrEqual(lastBefore);
      // Then the new process's feed in order from the seq the reset named: the same seeded quotes as before the restart.
      const { firstAvailable } = reset;
      expect(seen.slice(at() + 1, at() + 11)).toEqual(range(firstAvailable, firstAvailable + 9));
      const quotes = received.slice(before.length, before.length + 10).map((m) => key(m.quote));
      expect(quotes).toEqual(reference(SEED, firstAvailable + 9).slice(firstAvailable - 1));
      expect(client.counters.resets).toBe(1);
      expect(client.lastSeq).toBeLessThan(lastBefore); // it follows the new numbering
      expect(await stats(transport, second)).toMatchObject({ resumed: 0, resets: 1 });
    },
  );

  it('socketio: not recovered after a restart (socket.recovered === false), and no reset: socket.io’s own signal', async () => {
    const first = await spawn('socketio', ['--port', '0']);
    const client = createClient('socketio', { url: first.ready.url, reconnectMs: 100 }) as SocketIoClient;
    cleanups.push(() => client.close());
    const received = collect(client);
    await client.connect();
    await waitFor(() => received.length >= 10, '10 quotes from the first process');
    // SIGKILL: a SIGTERM'd server says goodbye ("io server disconnect"), after which socket.io does not reconnect at all.
    await first.stop('SIGKILL');
    await spawn('socketio', ['--port', new URL(first.ready.url).port]);
    await waitFor(() => client.counters.reconnects === 1, 'the reconnect');
    expect(client.recovered).toBe(false);
    expect(client.counters.resets).toBe(0);
  });
});
