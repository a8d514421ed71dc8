/**
 * Scenario `cluster-dead-peers`: clients whose network goes silent without a FIN or an RST. How long each server
 * holds such a connection, and what it costs meanwhile, depends on what it sends and what it waits for: a ws server
 * pings and terminates a peer whose pong has not come back by its next ping; engine.io (socket.io) pings and closes a
 * peer whose pong has not come within pingTimeout; an SSE server only writes `:` comments, which nobody answers, so
 * the only bound is the unsent bytes it will queue for one client (maxBufferedBytes). A dead peer is per connection, so
 * the cluster is not needed: one server of each cluster transport, with the server defaults, stands in for a node.
 *
 * Method. Per transport a cluster runs (sse, ws, socketio): one lab server in its own process (servers/cli.ts with
 * --stats-gc, so /stats reads its own memory, not this process's clients), its feed at RATE quotes/s, the defaults
 * otherwise (heartbeat 15 s; socket.io's pingTimeout is engine.io's default, PING_TIMEOUT_MS; maxBufferedBytes 1 MiB;
 * SSE `retry:` 3000 ms), and in front of it the wire tap (fixtures/tap.ts). CLIENTS Node clients (clients/, socket.io
 * WebSocket-only, no reconnect: a client that notices stays gone, so the server's count only falls) connect through the
 * tap, and once each has a quote the tap freezes every connection (Tap.freeze: both sides paused and corked, nothing
 * forwarded or read either way, no FIN, no RST). Then /stats is read every SAMPLE_MS for WATCH_MS (or until every
 * connection is freed and every client has noticed): `serverFreedFirstMs` / `serverFreedLastMs` are ms from the freeze
 * to the first sample with fewer connections than at the freeze and to the first with none of the CLIENTS left (sample
 * times: up to SAMPLE_MS late); a client noticed at its first `close` (SSE: the error that ends it) after the freeze.
 * What freed them (`noticedBy`) is read from the counters: `dropped` went up (the slow-consumer bound), `violations`
 * went up, else the server's liveness check (LIVENESS); socket.io clients' `disconnect` reasons are kept as they came.
 * Where in its range a liveness check fires depends on the phase of its timer at the freeze: the ws server's one
 * interval starts with the server (`readyToFreezeMs`; freed one to two heartbeats after the freeze), engine.io's per
 * connection at its handshake (`openToFreezeMs`; freed pingTimeout plus up to one pingInterval after). The
 * `short-heartbeat` case repeats it with heartbeatMs SHORT_HEARTBEAT_MS (SSE comments, ws pings, socket.io's
 * pingInterval; pingTimeout is not that knob, so socket.io still waits it out), for SHORT_WATCH_MS.
 * Memory: the server's rss and heapUsed after a forced GC before the freeze and at the end, and the largest of the
 * samples in between (no GC: garbage included). Bytes: `bytesQueuedAtEnd` is what the server accepted for the frozen
 * connections (its /stats bytesWritten, less the /stats answers, which a second tap counts) and the tap never passed
 * on: the tap's paused streams hold `relayHeldBytes` of it (up to a highWaterMark, 16 KiB, per socket), the tap's
 * kernel `relayReceiveQueueBytes` (/proc/net/tcp), and the rest never left the server's host: its process's buffers and
 * its kernel's unsent queue. The tap's side is read just before the last /stats and only grows, so that rest is at most
 * `serverSideQueuedAtMostBytes` (given only while every connection is open: a freed connection's discarded bytes stay
 * in its bytesWritten). `serverSendQueueBytes` is the server kernel's queue, unsent and unacknowledged alike (the
 * latter also in the tap's queue). Only the process's share counts towards maxBufferedBytes, and the relay side and the
 * server's kernel fill first, so at the measured bytes per second per connection the bound trips no sooner than
 * `slowConsumerBoundAtLeastS` after the freeze: (maxBufferedBytes + the relay side's bytes per connection) / that rate.
 *
 * Samples: CLIENTS connections per case, one freeze; freed times to SAMPLE_MS. Invalidated by: the tap's kernel still
 * ACKing with a zero window, where a pulled cable ACKs nothing: the server's TCP keeps a frozen connection (window
 * probes are answered) instead of giving up on retransmissions after tcp_retries2 (about 15 minutes on Linux), so a
 * figure beyond that is the lab's, and the kernel queues are the zero-window case's; a machine stalled long enough to
 * delay the heartbeat timers (they set every figure here).
 */
import { tally } from '../../scripts/abuse/observe.ts';
import { readFile } from 'node:fs/promises';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { spawnServer } from '../../scripts/lib/spawn-server.ts';
import { spec } from '../capabilities.ts';
import { type CaseContext, type CaseSpec, type ScenarioSpec, sleep, until } from '../harness.ts';
import { distribution, round } from '../measure.ts';
import type { Tap } from '../fixtures/tap.ts';
import type { Json, Observed } from '../types.ts';
import { CLUSTERED, type ClusterTransport, watchClients } from './clients.ts';

const CLIENTS = 50;
const RATE = 10;
const WATCH_MS = 45_000;
const SHORT_HEARTBEAT_MS = 2000;
/** Long enough for socket.io's pingInterval (2 s here) plus its unchanged pingTimeout. */
const SHORT_WATCH_MS = 25_000;
const SAMPLE_MS = 500;
/** engine.io's default pingTimeout; servers/socketio.ts sets pingInterval (heartbeatMs) but leaves this. */
const PING_TIMEOUT_MS = 20_000;
const FIRST_QUOTE_MS = 10_000;

/** What frees a connection that answers nothing, in each lab server, besides the slow-consumer bound they all have. */
const LIVENESS = {
  sse: null, // a `:` comment every heartbeatMs: a write that succeeds while the kernel takes it, with nothing to answer
  ws: 'terminate after a missed pong (ping every heartbeatMs; no pong by the next one)',
  socketio: 'ping timeout (engine.io: no pong within pingTimeout of a ping)',
} satisfies Record<ClusterTransport, string | null>;

/** The heartbeat each server sends, as the setup states it. */
const HEARTBEAT = {
  sse: (ms: number) => `\`:\` comment every ${ms} ms`,
  ws: (ms: number) => `ping frame every ${ms} ms`,
  socketio: (ms: number) => `pingInterval ${ms} ms, pingTimeout ${PING_TIMEOUT_MS} ms`,
} satisfies Record<ClusterTransport, (ms: number) => string>;

/** TCP states of a socket the process has closed that still holds unsent bytes (FIN_WAIT1, CLOSING, LAST_ACK). */
const CLOSED_STATES = new Set(['04', '0B', '09']);

interface KernelQueues {
  /** Unsent and unacknowledged bytes in the server's open sockets. */
  serverSendQueue: number;
  /** The same in sockets the server has closed: the kernel keeps trying to deliver them. */
  serverClosedSendQueue: number;
  serverClosedSockets: number;
  /** Bytes the tap's kernel received from the server and the tap has not read. */
  relayReceiveQueue: number;
}

/**
 * The kernel's queues on the connections between the server on `port` and the relay's ports `relayPorts` (/proc/net/tcp,
 * Linux); null where it cannot be read.
 */
async function kernelQueues(port: number, relayPorts: ReadonlySet<number>): Promise<KernelQueues | null> {
  let text: string;
  try {
    text = await readFile('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  const queues: KernelQueues = { serverSendQueue: 0, serverClosedSendQueue: 0, serverClosedSockets: 0, relayReceiveQueue: 0 };
  for (const line of text.split('\n').slice(1)) {
    const [, local, remote, state, txRx] = line.trim().split(/\s+/);
    if (!local || !remote || !state || !txRx) continue;
    const portOf = (address: string) => Number.parseInt(address.split(':')[1]!, 16);
    const [tx = 0, rx = 0] = txRx.split(':').map((hex) => Number.parseInt(hex, 16));
    if (portOf(local) === port && relayPorts.has(portOf(remote))) {
      if (CLOSED_STATES.has(state)) {
        queues.serverClosedSendQueue += tx;
        queues.serverClosedSockets++;
      } else {
        queues.serverSendQueue += tx;
      }
    } else if (portOf(remote) === port && relayPorts.has(portOf(local))) {
      queues.relayReceiveQueue += rx;
    }
  }
  return queues;
}

/**
 * /stats through a tap of its own, so its answers can be told apart from the stream: `toClients` is the server's
 * bytesWritten less every earlier /stats answer (each read in full before the next request, so the tap has counted it).
 */
function statsReader(statsTap: Tap) {
  const url = statsTap.url('http', '/stats', '127.0.0.1');
  return async (gc = false): Promise<{ stats: StatsSnapshot; toClients: number }> => {
    const answered = statsTap.connections.reduce((sum, x) => sum + x.bytesDown, 0);
    const response = await fetch(gc ? `${url}?gc=1` : url, { signal: AbortSignal.timeout(5000) });
    const stats = (await response.json()) as StatsSnapshot;
    return { stats, toClients: stats.bytesWritten - answered };
  };
}

type StatsRead = ReturnType<typeof statsReader>;

/**
 * Where the bytes the server accepted are now: the tap's side (the kernel's queues and the tap's held bytes) read just
 * before a /stats request. The feed keeps writing and nothing drains the tap's side, so at the moment of the snapshot
 * that side held at least this much.
 */
async function bytesNow(read: StatsRead, port: number, tap: Tap) {
  const kernel = await kernelQueues(port, new Set(tap.connections.flatMap((x) => x.upstreamPort ?? [])));
  const held = tap.held().down;
  const { toClients } = await read();
  return { toClients, kernel, held };
}

interface Sample {
  /** ms since the freeze. */
  t: number;
  connections: number;
  rss: number;
  heapUsed: number;
  toClients: number;
}

async function deadPeers(c: CaseContext, transport: ClusterTransport, heartbeatMs: number, watchMs: number): Promise<Observed> {
  const args = ['--rate', String(RATE), '--heartbeat', String(heartbeatMs), '--stats-gc'];
  const server = await spawnServer(transport, ['--port', '0', ...args]);
  const readyAt = c.elapsed();
  c.defer(() => server.stop());
  const port = Number(new URL(server.ready.url).port);
  const tap = await c.tap({ target: { host: '127.0.0.1', port } });
  const statsTap = await c.tap({ target: { host: '127.0.0.1', port } });
  const read = statsReader(statsTap);

  const url = new URL(server.ready.url);
  url.port = String(tap.port);
  const watched = await watchClients(c, transport, url.href, CLIENTS, { reconnect: false });
  // Runs before the clients' own cleanups: a ws close handshake through a frozen relay would wait 30 s for each.
  c.defer(() => tap.close());
  const closeReasons: string[] = [];
  for (const w of watched)
    w.client.on('close', ({ code, reason }) => {
      closeReasons.push([code, reason].filter((x) => x !== undefined && x !== '').join(' ') || 'none');
    });
  await until(() => watched.every((w) => w.seqs.length > 0), FIRST_QUOTE_MS);
  const streaming = watched.filter((w) => w.seqs.length > 0).length;

  const before = await read(true);
  const frozenAt = c.elapsed();
  const frozen = tap.freeze();
  const relayRead = tap.connections.reduce((sum, x) => sum + x.bytesDown, 0);
  const atFreeze = before.stats.connections;
  const noticed = () => watched.filter((w) => w.closes.some((t) => t > frozenAt));

  const samples: Sample[] = [];
  while (c.elapsed() - frozenAt < watchMs) {
    await sleep(SAMPLE_MS);
    const { stats, toClients } = await read();
    samples.push({ t: round(c.elapsed() - frozenAt), connections: stats.connections, rss: stats.rss, heapUsed: stats.heapUsed, toClients });
    if (stats.connections <= atFreeze - CLIENTS && noticed().length === CLIENTS) break;
  }
  const watchedMs = round(c.elapsed() - frozenAt);
  const clientNoticed = noticed().map((w) => round(w.closes.find((t) => t > frozenAt)! - frozenAt));
  const clientCloseReasons = tally(closeReasons);
  await sleep(1000); // the forced GC runs once a second at most: this one must not be refused
  const after = await read(true);
  const { toClients, kernel, held } = await bytesNow(read, port, tap);

  const freedByServer = Math.min(CLIENTS, atFreeze - after.stats.connections);
  const firstFreed = samples.find((s) => s.connections < atFreeze);
  const lastFreed = samples.find((s) => s.connections <= atFreeze - CLIENTS);
  const dropped = after.stats.dropped - before.stats.dropped;
  const violations = after.stats.violations - before.stats.violations;
  const noticedBy =
    dropped > 0 ? 'slow-consumer bound (maxBufferedBytes)' : violations > 0 ? 'violation' : firstFreed ? LIVENESS[transport] : null;

  // Bytes: what the server accepted for the frozen connections and the tap never read; of it, what has not reached the
  // tap's host (the relay's kernel counts every byte it received, ACKed or not) is still on the server's side.
  const queued = toClients - relayRead;
  const allOpen = after.stats.connections >= atFreeze;
  const serverSideAtMost = kernel && allOpen ? queued - kernel.relayReceiveQueue - held : null;
  // The rate while every connection was still written to: up to the last sample before the first one freed.
  const open = firstFreed ? samples.filter((s) => s.t < firstFreed.t) : samples;
  const last = open.at(-1);
  const perConnectionPerS = last && last.t > 0 ? (last.toClients - before.toClients) / CLIENTS / (last.t / 1000) : null;
  const perConnection = (bytes: number) => Math.round(bytes / CLIENTS);
  const maxBuffered = SERVER_DEFAULTS.maxBufferedBytes;
  const boundAtLeastS =
    perConnectionPerS && kernel && allOpen
      ? round((maxBuffered + perConnection(kernel.relayReceiveQueue + held)) / perConnectionPerS, 0)
      : null;

  const timeline: Json[] = [];
  for (const s of samples)
    if (timeline.length === 0 || (timeline.at(-1) as number[])[1] !== s.connections) timeline.push([s.t, s.connections]);
  const max = (key: 'rss' | 'heapUsed') => Math.max(before.stats[key], ...samples.map((s) => s[key]));

  return {
    counts: {
      clients: CLIENTS,
      streamingAtFreeze: streaming,
      frozenConnections: frozen,
      freedByServer,
      neverNoticedByServer: CLIENTS - freedByServer,
      noticedByClients: clientNoticed.length,
      neverNoticedByClients: CLIENTS - clientNoticed.length,
      dropped,
      violations,
      samples: samples.length,
    },
    server: {
      connections: atFreeze,
      counters: {
        connectionsAtEnd: after.stats.connections,
        peakConnections: after.stats.peakConnections,
        dropped: after.stats.dropped,
        violations: after.stats.violations,
        messagesSent: after.stats.messagesSent,
      },
    },
    facts: {
      serverNoticed: firstFreed !== undefined,
      noticedBy,
      serverFreedFirstMs: firstFreed?.t ?? null,
      serverFreedLastMs: lastFreed?.t ?? null,
      clientNoticedMs: clientNoticed.length > 0 ? { ...distribution(clientNoticed) } : null,
      clientCloseReasons,
      connectionsTimeline: timeline,
      heapBeforeBytes: before.stats.heapUsed,
      heapMaxDuringBytes: max('heapUsed'),
      heapAfterBytes: after.stats.heapUsed,
      rssBeforeBytes: before.stats.rss,
      rssMaxDuringBytes: max('rss'),
      rssAfterBytes: after.stats.rss,
      gcForced: before.stats.gc && after.stats.gc,
      bytesQueuedAtEnd: queued,
      bytesQueuedPerConnectionAtEnd: perConnection(queued),
      serverSendQueueBytes: kernel?.serverSendQueue ?? null,
      serverClosedSendQueueBytes: kernel?.serverClosedSendQueue ?? null,
      serverClosedSockets: kernel?.serverClosedSockets ?? null,
      relayReceiveQueueBytes: kernel?.relayReceiveQueue ?? null,
      relayHeldBytes: held,
      serverSideQueuedAtMostBytes: serverSideAtMost,
      bytesPerSecondPerConnection: perConnectionPerS === null ? null : round(perConnectionPerS, 0),
      maxBufferedBytes: maxBuffered,
      slowConsumerBoundAtLeastS: boundAtLeastS,
      heartbeatMs,
      pingTimeoutMs: transport === 'socketio' ? PING_TIMEOUT_MS : null,
      readyToFreezeMs: round(frozenAt - readyAt),
      openToFreezeMs: { ...distribution(watched.map((w) => round(frozenAt - w.opens[0]!))) },
      watchMs: watchedMs,
      sampleMs: SAMPLE_MS,
    },
  };
}

function deadPeersCase(transport: ClusterTransport, kind: 'default' | 'short-heartbeat'): CaseSpec {
  const heartbeatMs = kind === 'default' ? (SERVER_DEFAULTS.heartbeatMs as number) : SHORT_HEARTBEAT_MS;
  const watchMs = kind === 'default' ? WATCH_MS : SHORT_WATCH_MS;
  return {
    transport,
    case: kind,
    client: 'node',
    title: `${CLIENTS} ${spec(transport).label} clients go silent (no FIN, no RST); server heartbeat: ${HEARTBEAT[transport](heartbeatMs)}`,
    claims: ['sse-heartbeat-comments-needed'],
    setup: {
      clients: CLIENTS,
      rate: RATE,
      heartbeatMs,
      heartbeat: HEARTBEAT[transport](heartbeatMs),
      ...(transport === 'socketio' ? { pingTimeoutMs: PING_TIMEOUT_MS, clientTransports: ['websocket'] } : {}),
      ...(transport === 'sse' ? { retryMs: SERVER_DEFAULTS.retryMs } : {}),
      maxBufferedBytes: SERVER_DEFAULTS.maxBufferedBytes,
      watchMs,
      sampleMs: SAMPLE_MS,
      clientReconnect: false,
      server: 'own process (servers/cli.ts --stats-gc), server defaults but for heartbeatMs',
      silence: 'wire tap frozen: both sides paused and corked, no FIN, no RST',
    },
    timeoutMs: watchMs + 30_000,
    run: (c) => deadPeers(c, transport, heartbeatMs, watchMs),
  };
}

export const clusterDeadPeers: ScenarioSpec = {
  name: 'cluster-dead-peers',
  title: 'Clients gone silent without a FIN: when each server frees them, the memory it holds meanwhile, when the clients notice',
  cases: (['default', 'short-heartbeat'] as const).flatMap((kind) => CLUSTERED.map((transport) => deadPeersCase(transport, kind))),
};
