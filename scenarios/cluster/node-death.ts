/**
 * Scenario `cluster-node-death`: one node of a two-node cluster SIGKILLed mid-stream, with clients on both nodes.
 * SSE and ws resume from the shared Redis Stream on whichever node nginx hands the reconnect to (Last-Event-ID,
 * ?since=); socket.io's connection state recovery needs the session its node writes to Redis on a disconnect, which
 * a killed node never does.
 *
 * Method. Per transport a cluster can run (sse, ws, socketio): Redis, the publisher at RATE quotes/s, NODES nodes
 * with the server defaults (SSE `retry:` 3000 ms, the lab's default) and nginx (`tuned`) balancing round robin.
 * `node`: NODE_CLIENTS Node clients (clients/, socket.io WebSocket-only: round robin breaks long-polling, the
 * cluster-sticky scenario), connected one after another. `chromium`: one page opens PAGE_CLIENTS clients of the
 * transport through nginx (localhost, another origin than the page): native EventSource, which reconnects and resumes
 * by itself; a raw WebSocket with the lab's reconnect code (lab-page.js `resumingWebSocket`: reopen after
 * RECONNECT_MS with ?since=<last seq>); socket.io's browser client, WebSocket-only, its default reconnection delays.
 * Over HTTP/1.1 each is its own connection, so round robin spreads them. Once every client has a quote, each node's
 * /stats says how many it holds (a node without any makes the case not-run: there would be nothing to observe),
 * node 0 is SIGKILLed, and the case waits until every client is PAST quotes beyond the publisher's seq at the kill
 * (at most BACK_MS). Each client's seqs give lost (gaps between its first and last quote), duplicated and
 * out-of-order quotes; `movedClients` opened again after the kill; `backAfterMs` is, per moved client, ms from the
 * kill to its first quote on its new connection; `recoveredClients` (socket.io) counts moved clients whose reconnect recovered
 * their session (SocketIoClient.recovered; in the page, `recovered` of socket.io's connect).
 *
 * Samples: NODE_CLIENTS (Node) or PAGE_CLIENTS (a page in each engine) clients per case, one kill. Invalidated by: round robin
 * not spreading the clients (the case says not-run), or a stall of the 2-core machine longer than the replay window
 * (1000 quotes, 50 s at RATE), which would turn a resume into a reset.
 */
import type { ResetInfo } from '../../clients/index.ts';
import { RECONNECT_MS } from '../../clients/constants.ts';
import type { RunningCluster } from '../../servers/cluster/cluster.ts';
import { FEED_DEFAULTS } from '../../servers/feed.ts';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import { type BrowserApi, spec } from '../capabilities.ts';
import { type CaseContext, type CaseSpec, type LabPage, type ScenarioSpec, until, viaLocalhost } from '../harness.ts';
import { quoteEvents } from '../proxy/through.ts';
import type { Observed } from '../types.ts';
import {
  allPast,
  backAfterMs,
  CLUSTERED,
  type ClusterTransport,
  connectionsPerNode,
  deliverySummary,
  movedAfter,
  type Track,
  trackOf,
  watchClients,
} from './clients.ts';

const NODES = 2;
const RATE = 20;
const NODE_CLIENTS = 20;
const PAGE_CLIENTS = 4;
/** Every client must get this many quotes past the publisher's seq at the kill. */
const PAST = 40;
const READY_MS = 10_000;
const BACK_MS = 20_000;
/** The page's log is read with page.evaluate: poll it less often than Node-side state. */
const PAGE_POLL_MS = 200;

/** The page clients `names` as tracks, from the page's log: quotes (seq), opens, resets and socket.io's `recovered`. */
async function pageTracks(page: LabPage, names: readonly string[]): Promise<Track[]> {
  const events = await page.events();
  return names.map((name) => {
    const own = events.filter((e) => e.source === name);
    const quotes = quoteEvents(own);
    const opens = own.filter((e) => e.type === 'open');
    const recovered = opens.at(-1)?.detail?.recovered;
    return {
      seqs: quotes.map((e) => e.detail!.seq as number),
      times: quotes.map((e) => e.t),
      opens: opens.map((e) => e.t),
      // EventSource logs `reset` events (their JSON in `data`); the lab's WebSocket loop and socket.io get none.
      resets: own.filter((e) => e.type === 'reset').map((e) => JSON.parse(e.detail!.data as string) as ResetInfo),
      recovered: typeof recovered === 'boolean' ? recovered : null,
    };
  });
}

/** How each page client is opened: the browser's own API, with the lab's reconnect loop where the API has none. */
const SOCKET_IO_PAGE = { transports: ['websocket'] };
const OPEN: Record<BrowserApi, (page: LabPage, name: string, url: string) => Promise<unknown>> = {
  EventSource: (page, name, url) => page.call('eventSource', name, url),
  WebSocket: (page, name, url) => page.call('resumingWebSocket', name, url, RECONNECT_MS),
  'socket.io': (page, name, url) => page.call('socketIo', name, url.replace(/\/$/, ''), SOCKET_IO_PAGE),
};
const PAGE_CLIENT: Record<BrowserApi, string> = {
  EventSource: "native EventSource: reconnects after the server's retry and sends Last-Event-ID by itself",
  WebSocket:
    "raw WebSocket with the lab's reconnect code (lab-page.js resumingWebSocket): " +
    `reopen ${RECONNECT_MS} ms after a close with ?since=<last seq>`,
  'socket.io': "socket.io browser client, transports ['websocket'] (round robin breaks long-polling), default reconnection delays",
};
/** The Node clients as a setup states them. */
export const NODE_CLIENT: Record<BrowserApi, string> = {
  EventSource: "clients/sse.ts (the eventsource package): reconnects after the server's retry with Last-Event-ID",
  WebSocket: `clients/ws.ts: reconnects ${RECONNECT_MS} ms after a close with ?since=<last seq>`,
  'socket.io':
    "clients/socketio.ts, transports ['websocket'] (round robin breaks long-polling), " +
    `reconnects after ${RECONNECT_MS} ms (socket.io's randomizationFactor 0.5)`,
};

/** The counts and facts of a kill, from the clients' tracks. */
function observed(tracks: readonly Track[], cluster: RunningCluster, perNode: number[], killedAt: number, killSeq: number): Observed {
  const moved = movedAfter(tracks, killedAt);
  const seen = tracks.filter((k) => k.seqs.length > 0);
  const first = Math.min(...seen.map((k) => Math.min(...k.seqs)));
  const last = Math.max(...seen.map((k) => Math.max(...k.seqs)));
  return {
    counts: {
      clients: tracks.length,
      movedClients: moved.length,
      ...deliverySummary(tracks),
      published: seen.length === 0 ? 0 : last - first + 1,
    },
    facts: {
      connectionsPerNodeBeforeKill: perNode,
      killedAtMs: killedAt,
      killSeq,
      caughtUp: allPast(tracks, killSeq + PAST),
      backAfterMs: backAfterMs(tracks, killedAt),
      recoveredClients: cluster.transport === 'socketio' ? moved.filter((k) => k.recovered === true).length : null,
      nodeExit: { signal: cluster.nodes[0]!.exit?.signal ?? null },
    },
  };
}

/** Each node's clients now; throws (the case becomes not-run) when round robin left a node without any. */
async function spread(cluster: RunningCluster): Promise<number[]> {
  const perNode = await connectionsPerNode(cluster);
  if (perNode.some((n) => n === 0)) throw new Error(`lab: round robin left a node without clients (clients per node: ${perNode})`);
  return perNode;
}

async function withNodeClients(c: CaseContext, transport: ClusterTransport): Promise<Observed> {
  const cluster = await c.cluster({ transport, nodes: NODES, balance: 'round-robin', rate: RATE });
  const watched = await watchClients(c, transport, cluster.url, NODE_CLIENTS);
  await until(() => watched.every((w) => w.seqs.length > 0), READY_MS);
  const perNode = await spread(cluster);
  const killSeq = cluster.publisher.feed.latestSeq;
  const killedAt = c.elapsed();
  await cluster.killNode(0);
  await until(() => allPast(watched, killSeq + PAST), BACK_MS);
  return observed(watched.map(trackOf), cluster, perNode, killedAt, killSeq);
}

async function withPage(c: CaseContext, transport: ClusterTransport): Promise<Observed> {
  const cluster = await c.cluster({ transport, nodes: NODES, balance: 'round-robin', rate: RATE });
  const page = await c.page();
  const url = viaLocalhost(cluster.url);
  const names = Array.from({ length: PAGE_CLIENTS }, (_, i) => `c${i}`);
  for (const name of names) await OPEN[spec(transport).browserApi!](page, name, url);
  await until(async () => (await pageTracks(page, names)).every((k) => k.seqs.length > 0), READY_MS, PAGE_POLL_MS);
  const perNode = await spread(cluster);
  const killSeq = cluster.publisher.feed.latestSeq;
  const killedAt = c.elapsed();
  await cluster.killNode(0);
  await until(async () => allPast(await pageTracks(page, names), killSeq + PAST), BACK_MS, PAGE_POLL_MS);
  const tracks = await pageTracks(page, names);
  const notQuotes = (await page.events()).filter((e) => e.type !== 'quote' && e.type !== 'message');
  return { ...observed(tracks, cluster, perNode, killedAt, killSeq), events: [...notQuotes, ...page.console].slice(0, 60) };
}

function deathCase(transport: ClusterTransport, client: 'node' | 'browser'): CaseSpec {
  const api = spec(transport).browserApi!;
  const clients = client === 'node' ? NODE_CLIENTS : PAGE_CLIENTS;
  return {
    transport,
    case: client,
    client,
    title:
      `${clients} ${client === 'node' ? 'Node' : 'browser'} ${spec(transport).label} clients on a ${NODES}-node cluster, ` +
      'node 0 SIGKILLed mid-stream',
    claims: ['sse-event-ids-resume', 'ws-needs-own-resume-protocol'],
    setup: {
      nodes: NODES,
      balance: 'round-robin',
      rate: RATE,
      seed: FEED_DEFAULTS.seed,
      replay: FEED_DEFAULTS.replay,
      ...(api === 'EventSource' ? { sseRetryMs: SERVER_DEFAULTS.retryMs, sseRetry: "the lab server's default" } : {}),
      server: 'lab defaults otherwise; nginx profile tuned',
      clients,
      client: client === 'node' ? NODE_CLIENT[api] : PAGE_CLIENT[api],
      ...(client === 'browser'
        ? { through: 'nginx at localhost (another origin than the page), HTTP/1.1: one connection per client' }
        : {}),
      kill: 'SIGKILL node 0 once every client has a quote',
      watch: `until every client is ${PAST} quotes past the publisher's seq at the kill, at most ${BACK_MS} ms`,
    },
    run: (c) => (client === 'node' ? withNodeClients(c, transport) : withPage(c, transport)),
  };
}

export const clusterNodeDeath: ScenarioSpec = {
  name: 'cluster-node-death',
  title: 'A node SIGKILLed mid-stream: lost, duplicated, out of order, and how long until each client received again',
  cases: CLUSTERED.flatMap((transport) => [deathCase(transport, 'node'), deathCase(transport, 'browser')]),
};
