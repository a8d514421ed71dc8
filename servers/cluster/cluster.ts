/**
 * The scaled-out lab: one Redis (the shared bus), one publisher, N server nodes of one transport and nginx
 * balancing across them, each a real process the cluster starts, watches and stops by its pid.
 *
 *   browsers / clients ──> nginx (upstream lab_nodes) ──> node 0 … node N-1 ──┐
 *                                                                             ├─ XREAD lab:quotes (SSE, ws)
 *   publisher (seeded feed) ── XADD lab:quotes, socket.io adapter ──> Redis ──┘  socket.io: its adapter's stream
 *
 * Nodes are `servers/cli.ts <transport> --redis PORT` processes: the same servers as alone, fed from the stream. The
 * operations the scenarios need are here: kill a node (SIGKILL, no goodbye), stop and start one on its port (a
 * redeploy), restart the publisher, restart everything with or without Redis's data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ReadyLine, type SpawnedServer, spawnServer } from '../../scripts/lib/spawn-server.ts';
import { FEED_DEFAULTS, type FeedOptions } from '../feed.ts';
import { type RunningProxy, startProxy } from '../proxy/nginx.ts';
import type { Balance } from '../proxy/profiles.ts';
import type { StatsSnapshot } from '../stats.ts';
import { errorBody } from '../errors.ts';
import { onProcessExit } from '../exit-hooks.ts';
import type { Transport } from '../transports.ts';
import { type RunningPublisher, startPublisher } from './publisher.ts';
import { type RunningRedis, startRedis } from './redis.ts';

export interface ClusterOptions extends Pick<FeedOptions, 'seed' | 'rate' | 'padding'> {
  transport: Transport;
  nodes: number;
  balance: Balance;
  /** nginx serves TLS and HTTP/2 to clients (its h2 profile); nodes speak HTTP/1.1 behind it. */
  tls: boolean;
  /** More server flags for every node (e.g. ['--heartbeat', '2000']). */
  nodeArgs?: string[];
  /** Told when a node exits without being asked to (the cluster's stderr line). */
  onNodeExit?: (node: ClusterNode) => void;
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** now() of the exit, ms. */
  at: number;
  /** The cluster asked for it (stop, kill, restart). */
  expected: boolean;
}

export interface ClusterNode {
  index: number;
  /** Fixed for the node's life and its restarts: nginx's upstream names it. */
  port: number;
  pid: number;
  url: string;
  stats: string;
  alive: boolean;
  /** Its last exit, when it has exited. */
  exit?: NodeExit;
  /** Times it was started (1 + restarts). */
  starts: number;
}

/** The line `npm run cluster` prints once every process is ready. */
export interface ClusterReadyLine {
  transport: Transport;
  /** nginx's url for the transport: where clients connect. */
  url: string;
  /** The cluster's own /stats: every node's snapshot and state. */
  stats: string;
  /** The cluster process: it runs the publisher. */
  pid: number;
  /** nginx's certificate (the lab's), with --tls. */
  spki?: string;
  balance: Balance;
  nodes: { pid: number; url: string; stats: string }[];
  redis: { pid: number; port: number };
  proxy: { pid: number };
}

export interface RunningCluster {
  transport: Transport;
  balance: Balance;
  /** nginx's url for the transport: where clients connect. */
  url: string;
  origin: string;
  /** The cluster's own /stats: every node's snapshot and state, Redis and the publisher. */
  statsUrl: string;
  spki?: string;
  nodes: ClusterNode[];
  redis: RunningRedis;
  proxy: RunningProxy;
  publisher: RunningPublisher;
  /** The one JSON line `npm run cluster` prints. */
  readyLine(): ClusterReadyLine;
  /** SIGKILL: the node dies mid-stream, its clients' connections reset. Resolves once it has exited. */
  killNode(index: number): Promise<void>;
  /** SIGTERM: the node closes its clients the clean way, then exits. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped or dead node again on its port. */
  startNode(index: number): Promise<void>;
  /** Every node and the publisher stopped, then started again; with `redis`, Redis too, so the stream is gone. */
  restartAll(options?: { redis?: boolean }): Promise<void>;
  /** Stops nginx, the nodes, the publisher and Redis; removes their directories. */
  close(): Promise<void>;
}

export const CLUSTER_DEFAULTS = { nodes: 2, balance: 'round-robin' as Balance, tls: false, ...FEED_DEFAULTS };

export async function startCluster(input: Partial<ClusterOptions> & { transport: Transport }): Promise<RunningCluster> {
  const options = { ...CLUSTER_DEFAULTS, ...input };
  const feedOptions: FeedOptions = { ...FEED_DEFAULTS, seed: options.seed, rate: options.rate, padding: options.padding };
  const started: (() => Promise<void>)[] = []; // undo steps, newest first, for a start that fails half-way
  /** Runs every undo step; one that fails is reported and the others still run. */
  const undoAll = async () => {
    for (const undo of started.splice(0)) {
      await undo().catch((error: Error) => process.stderr.write(`lab: stopping the cluster: ${error.message}\n`));
    }
  };
  try {
    let redis = await startRedis();
    started.unshift(() => redis.close());
    let publisher = await startPublisher(redis.url, options.transport, feedOptions);
    started.unshift(() => publisher.close());

    const nodes: ClusterNode[] = [];
    const processes: (SpawnedServer | undefined)[] = [];
    const expected = new Set<number>();
    /** Nodes still starting: a stop waits for them, then stops them too. */
    const spawning = new Set<Promise<void>>();
    const spawnNode = (index: number, port: number): Promise<void> => {
      const starting = launchNode(index, port);
      spawning.add(starting);
      const done = () => spawning.delete(starting);
      starting.then(done, done);
      return starting;
    };
    const launchNode = async (index: number, port: number): Promise<void> => {
      const spawned = await spawnServer(options.transport, [
        '--redis',
        String(redis.port),
        '--port',
        String(port),
        ...(options.nodeArgs ?? []),
      ]);
      processes[index] = spawned;
      // Should the lab exit without close(), its nodes go with it.
      const forgetExit = onProcessExit(() => spawned.child.kill('SIGKILL'));
      spawned.child.once('exit', () => forgetExit());
      const node = (nodes[index] ??= { index, port: 0, pid: 0, url: '', stats: '', alive: false, starts: 0 });
      Object.assign(node, nodeFrom(spawned.ready), { alive: true, starts: node.starts + 1 });
      spawned.child.once('exit', (code, signal) => {
        node.alive = false;
        node.exit = { code, signal, at: Date.now(), expected: expected.delete(spawned.ready.pid) };
        if (!node.exit.expected) options.onNodeExit?.(node);
      });
    };
    const endNode = async (index: number, signal: NodeJS.Signals): Promise<void> => {
      const spawned = processes[index];
      if (!spawned || !nodes[index]!.alive) return;
      expected.add(spawned.ready.pid);
      await spawned.stop(signal);
    };
    const allNodes = (run: (index: number) => Promise<void>) => Promise.all(nodes.map((node) => run(node.index)));
    // Registered before any node starts, so a start that fails half-way (or a stop during a restart) stops every node.
    started.unshift(async () => {
      await Promise.allSettled([...spawning]);
      await allNodes((index) => endNode(index, 'SIGTERM'));
    });
    const spawned = await Promise.allSettled(Array.from({ length: options.nodes }, (_, index) => spawnNode(index, 0)));
    const failed = spawned.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    const node0 = nodes[0]!;
    const proxy = await startProxy(
      {
        transport: options.transport,
        url: node0.url,
        statsUrl: node0.stats,
        origin: new URL(node0.stats).origin,
        upstreams: nodes.map((n) => new URL(n.stats).origin),
      },
      { profile: options.tls ? 'h2' : 'tuned', balance: options.balance },
    );
    started.unshift(() => proxy.close());

    const stats = await clusterStats(() => ({
      transport: options.transport,
      balance: options.balance,
      nodes,
      redis: { pid: redis.pid, port: redis.port },
      publisher: { latestSeq: publisher.feed.latestSeq, resumedAfter: publisher.resumedAfter },
      proxy: { pid: proxy.pid },
    }));
    started.unshift(() => stats.close());

    const cluster: RunningCluster = {
      transport: options.transport,
      balance: options.balance,
      url: proxy.url,
      origin: proxy.origin,
      statsUrl: stats.url,
      ...(proxy.spki ? { spki: proxy.spki } : {}),
      nodes,
      get redis() {
        return redis;
      },
      proxy,
      get publisher() {
        return publisher;
      },
      readyLine: () => ({
        transport: options.transport,
        url: proxy.url,
        stats: stats.url,
        pid: process.pid,
        ...(proxy.spki ? { spki: proxy.spki } : {}),
        balance: options.balance,
        nodes: nodes.map(({ pid, url, stats: nodeStats }) => ({ pid, url, stats: nodeStats })),
        redis: { pid: redis.pid, port: redis.port },
        proxy: { pid: proxy.pid },
      }),
      killNode: (index) => endNode(index, 'SIGKILL'),
      stopNode: (index) => endNode(index, 'SIGTERM'),
      startNode: (index) => spawnNode(index, nodes[index]!.port),
      async restartAll(restart = {}) {
        await allNodes((index) => endNode(index, 'SIGTERM'));
        await publisher.close();
        if (restart.redis) {
          const port = redis.port;
          await redis.close();
          redis = await startRedis({ port });
        }
        // Nodes first, the feed last (as a rollout would): a client back before the first new quote resumes against the
        // stream as it was. After Redis lost it, every id a client holds is then ahead of the new feed, and answered
        // with a reset; the ids carry no epoch, so one presented only after the new feed passed it would not be.
        await allNodes((index) => spawnNode(index, nodes[index]!.port));
        publisher = await startPublisher(redis.url, options.transport, feedOptions);
      },
      async close() {
        // nginx first, so no client is sent to a node that is stopping; then the nodes, the publisher and Redis.
        await undoAll();
      },
    };
    return cluster;
  } catch (error) {
    await undoAll();
    throw error;
  }
}

function nodeFrom(ready: ReadyLine): Pick<ClusterNode, 'pid' | 'url' | 'stats' | 'port'> {
  return { pid: ready.pid, url: ready.url, stats: ready.stats, port: Number(new URL(ready.stats).port) };
}

/** A node's /stats now, or null when it is down or does not answer within 2 s. */
export async function nodeSnapshot(node: ClusterNode): Promise<StatsSnapshot | null> {
  if (!node.alive) return null;
  return fetch(node.stats, { signal: AbortSignal.timeout(2000) })
    .then((r) => r.json() as Promise<StatsSnapshot>)
    .catch(() => null);
}

/**
 * GET /stats on the cluster's own port (127.0.0.1): its shape (nodes, Redis, publisher) and each live node's snapshot,
 * fetched now; a dead node is listed with its exit, not left out.
 */
async function clusterStats(
  shape: () => { nodes: ClusterNode[] } & Record<string, unknown>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    if (req.url !== '/stats') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(errorBody('LAB_NOT_FOUND', 'GET /stats'));
      return;
    }
    const { nodes, ...rest } = shape();
    const withStats = await Promise.all(nodes.map(async (node) => ({ ...node, snapshot: await nodeSnapshot(node) })));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ...rest, nodes: withStats }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive /stats readers: nothing of theirs is in flight worth waiting for
      }),
  };
}
