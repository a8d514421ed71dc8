/**
 * Scenario `cluster-sticky`: does a transport need every request of a client to reach the same node? A cluster of
 * NODES nodes behind nginx, balanced round robin (each connection and each request to the next node) or sticky
 * (`hash $remote_addr`: one client address, one node).
 *
 * Method. socket.io's long-polling is a session of many HTTP requests (the handshake, the CONNECT packet, each poll
 * and post, the WebSocket upgrade probe) held in one node's memory: through round robin the requests after the
 * handshake reach a node that never issued the session id and get HTTP 400 "Session ID unknown". Cases: socket.io
 * with its default transports (polling first, then the upgrade) through round robin and through sticky, socket.io
 * WebSocket-only through round robin (one request: the upgrade), and SSE and ws through round robin (one long request
 * each, resumed by id on any node). Node clients: CLIENTS per case, each bound to its own address
 * 127.0.0.(FIRST_HOST + i) (ClientOptions.localAddress), so `hash $remote_addr` sees distinct clients; connected one
 * after another (a client whose first connect fails stays down: LabClient.connect), then watched WATCH_MS with the
 * feed at RATE quotes/s. One browser case (each engine): socket.io's browser client, default transports, through round robin, as
 * a user sees the failure (console errors, connect_error, reconnect attempts, upgrade errors).
 *
 * Where each request went: nginx's access log (its `combined` format, fixed in servers/proxy/profiles.ts) names the
 * client's address, the request with its `sid` and the status, but not the node; so `nodesPerClient` is inferred:
 * a request naming a session that was answered 400 (engine.io's "Session ID unknown", which the Node clients' own
 * messages show) reached a node other than the one that issued it (2 with NODES = 2); a client with one session or
 * one stream and no such answer was served by one node; a client with several sessions and no refusal is `unknown`
 * (they may have landed on either). `$upstream_addr` in the log format would make it exact. Per-node connections
 * come from each node's /stats.
 * Lost and duplicated are counted per client between its first and last quote (clients.ts deliverySummary).
 *
 * Samples: one run of CLIENTS clients per case. Invalidated by: clients sharing an address (localAddress ignored:
 * the access log then shows one address), or a node that is not up for the whole case (the harness fails the case).
 */
import { tally } from '../../scripts/abuse/observe.ts';
import { createClient, type SocketIoClient } from '../../clients/index.ts';
import type { RunningCluster } from '../../servers/cluster/cluster.ts';
import type { Balance } from '../../servers/proxy/profiles.ts';
import { deliveryOf } from '../../scripts/lib/delivery.ts';
import { type CaseContext, type CaseSpec, type ScenarioSpec, sleep, viaLocalhost } from '../harness.ts';
import { countOf } from '../measure.ts';
import { accessText, parseAccessLog, statusCounts } from '../proxy/access-log.ts';
import type { Json, Observed, TimedEvent } from '../types.ts';
import { type ClusterTransport, deliverySummary, nodeSnapshots, type WatchedClient } from './clients.ts';

const NODES = 2;
const RATE = 10;
const CLIENTS = 10;
const FIRST_HOST = 10;
const WATCH_MS = 6000;
const RECONNECT_MS = 500;
/** After the clients close: nginx writes a request's line when it ends, the streams' and WebSockets' too. */
const SETTLE_MS = 300;

type EngineTransport = 'polling' | 'websocket';

/** engine.io's answer (HTTP 400) to a request naming a session the node does not hold. */
const SESSION_UNKNOWN = 'Session ID unknown';

const addressOf = (i: number) => `127.0.0.${FIRST_HOST + i}`;

interface Tracked extends WatchedClient {
  address: string;
  /** The first connect succeeded. */
  connected: boolean;
  /** Error texts: a failed first connect, each error after, each close's cause. */
  messages: string[];
  /** Errors the client reported: the failed first connect, then each one after (socket.io: a failed reconnection). */
  errors: number;
}

/** One client address's requests in nginx's log: sessions opened, and requests naming a session that were refused. */
interface ClientRequests {
  requests: number;
  /** Requests that named no session: an SSE stream, a WebSocket, a socket.io handshake. */
  opened: number;
  /**
   * 400s to requests naming a session (`sid=`). The log keeps no body (and its byte count includes nginx's chunked
   * framing), so these are taken as "Session ID unknown": the Node clients' own messages say which they were.
   */
  sessionRefused: number;
}

/** Per client address: what nginx's access log says about its requests (the remote address is the line's first field). */
function requestsByAddress(lines: readonly string[]): Map<string, ClientRequests> {
  const byAddress = new Map<string, ClientRequests>();
  for (const line of lines) {
    const [parsed] = parseAccessLog([line]);
    if (!parsed) continue;
    const address = line.slice(0, line.indexOf(' '));
    const entry = byAddress.get(address) ?? { requests: 0, opened: 0, sessionRefused: 0 };
    const target = new URL(parsed.request.split(' ')[1] ?? '/', 'http://x');
    entry.requests++;
    if (!target.searchParams.has('sid')) entry.opened++;
    else if (parsed.status === 400) entry.sessionRefused++;
    byAddress.set(address, entry);
  }
  return byAddress;
}

/**
 * Nodes that served a client, as far as the log shows: another node than the session's own answered it (2, all of
 * them with NODES = 2), one session or stream and no refusal (1), or several and no refusal (unknown).
 */
function nodesServed(r: ClientRequests | undefined): '1' | '2' | 'unknown' | 'none' {
  if (!r) return 'none';
  if (r.sessionRefused > 0) return '2';
  return r.opened <= 1 ? '1' : 'unknown';
}

/** What nginx logged: requests, 400s, the ones naming a session among them, lines by request and status, nodes per client. */
async function fromAccessLog(cluster: RunningCluster, addresses: readonly string[]) {
  const lines = await cluster.proxy.accessLog();
  const parsed = parseAccessLog(lines);
  const byAddress = requestsByAddress(lines);
  return {
    requests: parsed.length,
    http400: parsed.filter((l) => l.status === 400).length,
    sessionRefused: [...byAddress.values()].reduce((sum, r) => sum + r.sessionRefused, 0),
    statuses: statusCounts(parsed),
    lines: tally(parsed.map((l) => accessText(l) as string)),
    nodesPerClient: tally(addresses.map((a) => nodesServed(byAddress.get(a)))),
    addressesLogged: byAddress.size,
  };
}

/** Each node's clients now and at most, from its /stats. */
async function perNode(cluster: RunningCluster) {
  const snapshots = await nodeSnapshots(cluster);
  return {
    connectionsPerNode: snapshots.map((s) => s?.connections ?? 0),
    peakConnectionsPerNode: snapshots.map((s) => s?.peakConnections ?? 0),
  };
}

const distinct = (texts: readonly string[], n = 5) => [...new Set(texts)].slice(0, n);
const countUnknown = (texts: readonly string[]) => texts.filter((t) => t.includes(SESSION_UNKNOWN)).length;

async function nodeClients(
  c: CaseContext,
  transport: ClusterTransport,
  balance: Balance,
  transports?: EngineTransport[],
): Promise<Observed> {
  const cluster = await c.cluster({ transport, nodes: NODES, balance, rate: RATE });
  const tracked: Tracked[] = [];
  const events: TimedEvent[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const address = addressOf(i);
    const client = createClient(transport, {
      url: cluster.url,
      localAddress: address,
      reconnectMs: RECONNECT_MS,
      ...(transports ? { transports } : {}),
    });
    c.defer(() => client.close());
    const t: Tracked = {
      client,
      address,
      seqs: [],
      times: [],
      opens: [],
      closes: [],
      drops: [],
      resets: [],
      connected: false,
      messages: [],
      errors: 0,
    };
    const mark = (type: string, detail: { [key: string]: Json } = {}) => events.push({ t: c.elapsed(), source: address, type, detail });
    client.on('quote', ({ quote }) => {
      t.seqs.push(quote.seq);
      t.times.push(c.elapsed());
    });
    client.on('open', () => {
      t.opens.push(c.elapsed());
      mark('open');
    });
    client.on('close', ({ reason, cause }) => {
      t.closes.push(c.elapsed());
      if (cause) t.messages.push(cause);
      mark('close', { reason: reason ?? null, cause: cause ?? null });
    });
    client.on('error', (error) => {
      t.errors++;
      t.messages.push(error.message);
      mark('error', { message: error.message.slice(0, 200) });
    });
    client.on('reset', (reset) => t.resets.push(reset));
    try {
      await client.connect();
      t.connected = true;
    } catch (error) {
      t.errors++;
      t.messages.push((error as Error).message);
      mark('connect-failed', { message: (error as Error).message.slice(0, 200) });
    }
    tracked.push(t);
  }
  const connectedAtMs = c.elapsed();
  await sleep(WATCH_MS);
  const watchedUntil = c.elapsed();
  const nodes = await perNode(cluster);
  const engine = transport === 'socketio' ? tracked.map((t) => (t.client as SocketIoClient).engineTransport) : null;
  for (const t of tracked) await t.client.close();
  await sleep(SETTLE_MS);
  const log = await fromAccessLog(
    cluster,
    tracked.map((t) => t.address),
  );
  const delivery = deliverySummary(tracked);
  const messages = tracked.flatMap((t) => t.messages);
  return {
    events: events.slice(0, 100),
    counts: {
      clients: CLIENTS,
      connected: tracked.filter((t) => t.connected).length,
      quotes: delivery.received!,
      lost: delivery.lost!,
      duplicated: delivery.duplicated!,
      connectErrors: tracked.reduce((sum, t) => sum + t.errors, 0),
      // Closes during the watch: the case's own closes at the end are not the cluster's doing.
      disconnects: tracked.reduce((sum, t) => sum + t.closes.filter((x) => x <= watchedUntil).length, 0),
      reconnects: tracked.reduce((sum, t) => sum + t.client.counters.reconnects, 0),
      clientsWithQuotes: tracked.filter((t) => t.seqs.length > 0).length,
      http400: log.http400,
      sessionRefused: log.sessionRefused,
      requests: log.requests,
    },
    facts: {
      balance,
      nodes: NODES,
      localAddresses: `${addressOf(0)} - ${addressOf(CLIENTS - 1)}`,
      addressesLogged: log.addressesLogged,
      nodesPerClient: log.nodesPerClient,
      ...nodes,
      sessionUnknownErrors: countUnknown(messages),
      errorMessages: distinct(messages),
      upgradeCompleted: engine === null ? null : engine.filter((name) => name === 'websocket').length,
      engineTransports: engine === null ? null : tally(engine.map((name) => name ?? 'none')),
      statuses: log.statuses,
      accessLog: log.lines,
      connectedAtMs,
      delivery: {
        outOfOrder: delivery.outOfOrder!,
        clientsWithLoss: delivery.clientsWithLoss!,
        resets: delivery.resetsExpired! + delivery.resetsAhead!,
      },
    },
  };
}

/** socket.io's browser client with its default transports through round robin: the failure as a page sees it. */
async function browserPolling(c: CaseContext): Promise<Observed> {
  const balance: Balance = 'round-robin';
  const cluster = await c.cluster({ transport: 'socketio', nodes: NODES, balance, rate: RATE });
  const page = await c.page();
  const options = { reconnectionDelay: RECONNECT_MS, reconnectionDelayMax: RECONNECT_MS, randomizationFactor: 0 };
  await page.openClient('socketio', 'io', viaLocalhost(cluster.url), options);
  await sleep(WATCH_MS);
  const events = await page.events('io');
  const transport = await page.call<string | null>('transportName', 'io');
  const nodes = await perNode(cluster);
  await page.call('close', 'io');
  await sleep(SETTLE_MS);
  const pageAddress = '127.0.0.1';
  const log = await fromAccessLog(cluster, [pageAddress]);
  const quotes = events.filter((e) => e.type === 'message' && typeof e.detail?.seq === 'number');
  const delivery = deliveryOf(quotes.map((e) => e.detail!.seq as number));
  const firstOutcome = events.find((e) => e.type === 'open' || e.type === 'error');
  const errorTexts = events.filter((e) => e.type === 'error').map((e) => String(e.detail?.message));
  const consoleTexts = page.console.map((e) => String(e.detail?.text));
  return {
    events: events.filter((e) => !quotes.includes(e)).slice(0, 100),
    counts: {
      clients: 1,
      connected: firstOutcome?.type === 'open' ? 1 : 0,
      quotes: delivery.received,
      lost: delivery.lost,
      duplicated: delivery.duplicated,
      connectErrors: countOf(events, 'error'),
      disconnects: countOf(events, 'close'),
      reconnects: Math.max(0, countOf(events, 'open') - 1),
      reconnectAttempts: countOf(events, 'reconnect_attempt'),
      // Each attempt's handshake succeeds (the Manager opens), which resets socket.io's backoff: attempt 1 again and again.
      highestReconnectAttempt: Math.max(0, ...events.filter((e) => e.type === 'reconnect_attempt').map((e) => Number(e.detail?.attempt))),
      upgradeErrors: countOf(events, 'upgrade-error'),
      consoleErrors: page.console.filter((e) => e.type === 'error').length,
      http400: log.http400,
      sessionRefused: log.sessionRefused,
      requests: log.requests,
    },
    facts: {
      balance,
      nodes: NODES,
      nodesPerClient: log.nodesPerClient,
      ...nodes,
      // The page sees no response body (XHR errors say "xhr poll error"): the log's count is the one to read.
      sessionUnknownErrors: countUnknown([...errorTexts, ...consoleTexts]),
      errorMessages: distinct(errorTexts),
      console: distinct(consoleTexts),
      upgradeCompleted: transport === 'websocket' ? 1 : 0,
      engineTransport: transport,
      statuses: log.statuses,
      accessLog: log.lines,
      clientOptions: options,
    },
  };
}

const SETUP = { nodes: NODES, rate: RATE, watchMs: WATCH_MS, reconnectMs: RECONNECT_MS };

function nodeCase(transport: ClusterTransport, id: string, balance: Balance, title: string, transports?: EngineTransport[]): CaseSpec {
  return {
    transport,
    case: id,
    client: 'node',
    title,
    claims: ['socketio-needs-sticky-sessions'],
    setup: {
      ...SETUP,
      balance,
      clients: CLIENTS,
      localAddresses: `${addressOf(0)} - ${addressOf(CLIENTS - 1)}`,
      ...(transport === 'socketio' ? { transports: transports ?? ['polling', 'websocket'] } : {}),
    },
    run: (c) => nodeClients(c, transport, balance, transports),
  };
}

export const clusterSticky: ScenarioSpec = {
  name: 'cluster-sticky',
  title: 'Sticky sessions: socket.io long-polling through round robin vs sticky, WebSocket-only socket.io, SSE and ws',
  cases: [
    nodeCase(
      'socketio',
      'polling-round-robin',
      'round-robin',
      `socket.io, polling then WebSocket, through round robin over ${NODES} nodes`,
    ),
    nodeCase(
      'socketio',
      'polling-sticky',
      'sticky',
      `socket.io, polling then WebSocket, through sticky (hash $remote_addr) over ${NODES} nodes`,
    ),
    nodeCase('socketio', 'websocket-round-robin', 'round-robin', `socket.io, WebSocket only, through round robin over ${NODES} nodes`, [
      'websocket',
    ]),
    nodeCase('sse', 'round-robin', 'round-robin', `SSE through round robin over ${NODES} nodes`),
    nodeCase('ws', 'round-robin', 'round-robin', `ws through round robin over ${NODES} nodes`),
    {
      transport: 'socketio',
      case: 'browser-polling-round-robin',
      client: 'browser',
      title: `socket.io's browser client, default transports, through round robin over ${NODES} nodes`,
      claims: ['socketio-needs-sticky-sessions'],
      setup: { ...SETUP, balance: 'round-robin', clients: 1, transports: ['polling', 'websocket'], randomizationFactor: 0 },
      run: browserPolling,
    },
  ],
};
