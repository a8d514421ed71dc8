/**
 * The scaled-out lab (issue 11): Redis, a publisher, two nodes and nginx, all real processes. A node is killed (or
 * stopped) mid-stream with clients on both nodes, and every client's sequence numbers are counted: SSE and ws resume
 * from the shared stream on the other node with nothing lost or repeated; socket.io's recovery session is written to
 * Redis only by a node that sees the disconnect, so a SIGKILL loses its clients' missed quotes and a SIGTERM does not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, type ClientTransport, createClient, type LabClient, type SocketIoClient } from '../clients/index.ts';
import { type RunningCluster, startCluster } from '../servers/cluster/cluster.ts';
import type { StatsSnapshot } from '../servers/stats.ts';
import { deliveryOf } from '../scripts/lib/delivery.ts';
import { key, reference, waitFor } from './helpers.ts';
import { caFor } from './trust.ts';

const SEED = 7;
const RATE = 20;
const CLIENTS = 4;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cluster(transport: 'sse' | 'ws' | 'socketio'): Promise<RunningCluster> {
  // SSE reconnects after the server's retry: a short one keeps the test short.
  const started = await startCluster({
    transport,
    nodes: 2,
    seed: SEED,
    rate: RATE,
    nodeArgs: transport === 'sse' ? ['--retry', '200'] : [],
  });
  cleanups.push(() => started.close());
  return started;
}

interface Watched {
  client: LabClient;
  seqs: number[];
}

async function clientsOn(
  running: RunningCluster,
  count = CLIENTS,
  transport: ClientTransport = running.transport as ClientTransport,
  options: Partial<ClientOptions> = {},
): Promise<Watched[]> {
  const watched: Watched[] = [];
  for (let i = 0; i < count; i++) {
    // socket.io over WebSocket only: with long-polling, round robin breaks its sessions (the sticky-sessions scenario).
    const client = createClient(transport, {
      url: running.url,
      reconnectMs: 200,
      ...(transport === 'socketio' ? { transports: ['websocket'] } : {}),
      ...options,
    });
    cleanups.push(() => client.close());
    const seqs: number[] = [];
    client.on('quote', ({ quote }) => seqs.push(quote.seq));
    await client.connect();
    watched.push({ client, seqs });
  }
  await waitFor(() => watched.every(({ seqs }) => seqs.length >= 3), 'three quotes on every client');
  return watched;
}

const snapshot = async (url: string) => (await (await fetch(url)).json()) as StatsSnapshot;

/** Kills or stops node 0 with clients on both nodes, and waits until every client is 20 quotes past that moment. */
async function loseNode0(running: RunningCluster, watched: Watched[], how: 'kill' | 'stop'): Promise<void> {
  const perNode = await Promise.all(running.nodes.map(async (node) => (await snapshot(node.stats)).connections));
  expect(
    perNode.every((connections) => connections >= 1),
    `clients on every node: ${perNode}`,
  ).toBe(true);
  const at = running.publisher.feed.latestSeq;
  await (how === 'kill' ? running.killNode(0) : running.stopNode(0));
  await waitFor(() => watched.every(({ seqs }) => (seqs.at(-1) ?? 0) >= at + 20), 'every client 20 quotes past the loss', 20_000);
}

describe.each(['sse', 'ws'] as const)('%s cluster: a node killed mid-stream', (transport) => {
  it('its clients resume on the other node from the shared stream: 0 lost, 0 duplicated, in order', async () => {
    const running = await cluster(transport);
    const watched = await clientsOn(running);
    await loseNode0(running, watched, 'kill');
    const moved = watched.filter(({ client }) => client.counters.reconnects > 0);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    for (const { seqs } of watched) expect(deliveryOf(seqs)).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(running.nodes[0]).toMatchObject({ alive: false, exit: { signal: 'SIGKILL', expected: true } });
    const resumed = (await snapshot(running.nodes[1]!.stats)).resumed;
    expect(resumed).toBeGreaterThanOrEqual(moved.length);
  });
});

describe('sse cluster with --tls: SSE over HTTP/2 at nginx, HTTP/1.1 nodes behind it', () => {
  it('a node killed mid-stream: the HTTP/2 clients resume on the other node, 0 lost, 0 duplicated', async () => {
    const running = await startCluster({ transport: 'sse', nodes: 2, seed: SEED, rate: RATE, tls: true, nodeArgs: ['--retry', '200'] });
    cleanups.push(() => running.close());
    expect(running.url).toMatch(/^https:/);
    const watched = await clientsOn(running, CLIENTS, 'sse-h2', { ca: await caFor('sse-h2') });
    await loseNode0(running, watched, 'kill');
    for (const { seqs } of watched) expect(deliveryOf(seqs)).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });
});

describe('socketio cluster: recovery across nodes (@socket.io/redis-streams-adapter)', () => {
  const recovered = (client: LabClient) => (client as SocketIoClient).recovered;

  it('a node stopped with SIGTERM saves its sessions in Redis: its clients recover on the other node, 0 lost', async () => {
    const running = await cluster('socketio');
    const watched = await clientsOn(running);
    await loseNode0(running, watched, 'stop');
    const moved = watched.filter(({ client }) => client.counters.reconnects > 0);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    for (const { client } of moved) expect(recovered(client)).toBe(true);
    for (const { seqs } of watched) expect(deliveryOf(seqs)).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('a node killed with SIGKILL never saves them: its clients reconnect unrecovered and lose the quotes in between', async () => {
    const running = await cluster('socketio');
    const watched = await clientsOn(running);
    await loseNode0(running, watched, 'kill');
    const moved = watched.filter(({ client }) => client.counters.reconnects > 0);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    for (const { client, seqs } of watched) {
      const { lost, duplicated } = deliveryOf(seqs);
      expect(duplicated).toBe(0);
      if (moved.some((m) => m.client === client)) {
        expect(recovered(client)).toBe(false);
        expect(lost).toBeGreaterThan(0);
      } else expect(lost).toBe(0);
    }
  });
});

describe('the cluster feed', () => {
  it('is the single-process feed: the same (seq, symbol, price) for the same seed', async () => {
    const running = await cluster('ws');
    const client = createClient('ws', { url: running.url });
    cleanups.push(() => client.close());
    const got: [number, string, number][] = [];
    client.on('quote', ({ quote }) => got.push(key(quote)));
    await client.connect();
    await waitFor(() => got.length >= 10, 'ten quotes');
    const last = got.at(-1)![0];
    expect(got).toEqual(reference(SEED, last).slice(got[0]![0] - 1, last));
  });

  it('sse: every node down at once gets the EventSource an event stream that says retry, not a 502; it resumes, 0 lost', async () => {
    const running = await cluster('sse');
    const [watched] = await clientsOn(running, 1);
    await running.restartAll();
    const after = running.publisher.feed.latestSeq;
    await waitFor(() => (watched!.seqs.at(-1) ?? 0) >= after + 5, 'quotes after the restart', 20_000);
    expect(deliveryOf(watched!.seqs)).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(watched!.client.counters.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('survives a restart of every node and the publisher while Redis keeps the stream: 0 lost; without Redis, a reset', async () => {
    const running = await cluster('ws');
    const [watched] = await clientsOn(running, 1);
    const resets: string[] = [];
    watched!.client.on('reset', (reset) => resets.push(reset.reason));
    await running.restartAll();
    expect(running.publisher.resumedAfter).toBeGreaterThan(0);
    const after = running.publisher.feed.latestSeq;
    await waitFor(() => (watched!.seqs.at(-1) ?? 0) >= after + 5, 'quotes after the restart', 20_000);
    expect(deliveryOf(watched!.seqs)).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(resets).toEqual([]);

    const before = watched!.seqs.at(-1)!;
    await running.restartAll({ redis: true });
    expect(running.publisher.resumedAfter).toBe(0);
    await waitFor(() => resets.length > 0 && watched!.client.lastSeq > 3, 'a reset, then the new numbering', 20_000);
    expect(resets).toEqual(['ahead']);
    expect(watched!.client.lastSeq).toBeLessThan(before);
  });
});
