/**
 * Scenario `cluster-rolling-restart`: a redeploy. Three nodes behind nginx (round robin) are restarted one at a time
 * under N Node clients; what the clients lost, how long they were without quotes, and the reconnect storm the nodes
 * still up took. Public anchor: AnyCable's Node WebSocket benchmark reports socket.io delivering 84.55 % of messages
 * under forced drops by default and 100 % with connection state recovery (replay p99 4.58 s).
 *
 * Method. Per transport a cluster runs (sse, ws, socket.io over WebSocket only: long-polling needs stickiness, the
 * cluster-sticky scenario), a cluster of NODES nodes publishing RATE quotes/s, and N full Node clients (clients/)
 * connected through nginx in parallel batches of CONNECT_BATCH, each quote's seq and arrival time kept. Once every
 * client has quotes, for each node in turn: SIGTERM (the node closes its clients the clean way; they reconnect
 * through nginx, which sends them to the nodes still up), start it again on its port, wait until its /stats answers
 * and every client it dropped has opened again (at most RETURN_MS: a rollout gated on readiness; a fixed pause shorter
 * than SSE's retry would stop the next node while they are still away and blend two stops' storms), SETTLE_MS more,
 * and the next node. Reconnect delays are each client's defaults, the point of a redeploy under
 * real settings: SSE the lab server's `retry: 3000`, ws the lab client's fixed 1000 ms, socket.io's client 1000 ms
 * with its default randomization (0.5: 500 to 1000 ms once capped by reconnectionDelayMax). Throughout the redeploy
 * a worker thread (off the clients' busy event loop) reads every node's /stats every SAMPLE_MS; its `connections`
 * (clients connected now) give the storm: nothing leaves a node that stays up during a stop, so what it gains is who
 * arrived. After the last node, the case waits until every client is CATCH_UP quotes past the publisher's seq at that
 * moment (at most CATCH_UP_MS), then records.
 *
 * Records. counts: clients, published (quotes during the redeploy), expected and received (the delivery ratio's terms,
 * see deliveryRatio), messages (every quote message, duplicates included), lost / duplicated / outOfOrder /
 * clientsWithLoss (each client between its own first and last seq: clients.ts deliverySummary), reconnects (summed),
 * movedClients, neverReconnected (away at the end: a drop with no open after it). facts: deliveryRatio, reconnectMs
 * (the three stops merged; clients.ts gapsAfter), stormPerNode (per stop, the most connections/s a node still up took),
 * stops (per stop: timings, clients dropped, its own reconnectMs, each survivor's gain), recoveredClients (socket.io),
 * lossExamples, redeployMs, clientLoopDelayMs, samples and connectionsTimeline (the storm's raw data).
 *
 * Samples: N clients (quick 200, full 2000) x 3 stops, one redeploy per transport. The storm is read from 250 ms
 * samples, so a burst shorter than that shows as its sum. Invalidated by: the scenario process itself saturated
 * (2000 clients x 10 quotes/s is 20 000 messages/s to parse in one Node process, on 2 cores shared with three nodes,
 * nginx and Redis): its event-loop delay during the redeploy is recorded as `clientLoopDelayMs`, and when it reaches
 * seconds, reconnect times measure the generator, not the servers. Also by a file limit below N plus headroom (the
 * case then records not-run with the limit).
 */
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { SocketIoClient } from '../../clients/index.ts';
import { RECONNECT_MS } from '../../clients/constants.ts';
import type { RunningCluster } from '../../servers/cluster/cluster.ts';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import { nofile } from '../../scripts/load/limits.ts';
import { spec } from '../capabilities.ts';
import { type CaseContext, type CaseSpec, type ScenarioSpec, sleep, until } from '../harness.ts';
import { distribution, round } from '../measure.ts';
import type { Json, Observed, TimedEvent } from '../types.ts';
import {
  allPast,
  CLUSTERED,
  type ClusterTransport,
  CONNECT_BATCH,
  connectionsPerNode,
  deliverySummary,
  gapsAfter,
  nodeSnapshots,
  type WatchedClient,
  watchClients,
} from './clients.ts';

const CLIENTS = { quick: 200, full: 2000 };
const NODES = 3;
const RATE = 10;
const SEED = 11;
/** Every client has quotes before the redeploy starts (so each has a first seq), within this long. */
const FIRST_QUOTES_MS = 15_000;
const SAMPLE_MS = 250;
/** The storm is the most connections a node gained within this span. */
const STORM_SPAN_MS = 1000;
/** After a node is back, before the next one stops: a rollout's pause between batches. */
const SETTLE_MS = 2000;
/** How long a restarted node has to answer /stats. */
const BACK_MS = 10_000;
/** How long the rollout waits for a stopped node's clients to connect again before it moves on regardless. */
const RETURN_MS = 15_000;
const CATCH_UP = 20;
const CATCH_UP_MS = 30_000;
/** Files this process (and each node) needs beyond one per client: nginx's, Redis's, stats fetches, the runtime's own. */
const FILE_HEADROOM = 256;
/** socket.io client's randomizationFactor default (socket.io-client Manager): clients/socketio.ts does not set it. */
const SOCKET_IO_RANDOMIZATION = 0.5;

/** A watched client (clients.ts) that also keeps when its connection went: `close`, or SSE's `error` (it reconnects by itself). */

/** One restart: when the node was told to stop, had exited, was started again, and answered /stats again. */
interface Stop {
  node: number;
  at: number;
  exitedAt: number;
  startedAt: number;
  backAt: number;
  /** When every client it dropped had opened again (or RETURN_MS passed). */
  returnedAt: number;
}

/** Every node's `connections` at one moment (null: the node did not answer). */
interface Sample {
  t: number;
  connections: (number | null)[];
}

/**
 * The sampler runs in a worker thread: N clients can hold this process's event loop for a second or more, and samples
 * taken on it would come late and far apart. Plain JavaScript (eval), so the worker does not load tsx. Times are epoch
 * ms (contract.ts now()), taken when each round of answers arrived.
 */
const SAMPLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { urls, everyMs } = workerData;
let running = true;
parentPort.on('message', () => { running = false; });
const connections = (url) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.json()).then((s) => s.connections, () => null);
(async () => {
  while (running) {
    const next = performance.now() + everyMs;
    const values = await Promise.all(urls.map(connections));
    parentPort.postMessage({ t: performance.timeOrigin + performance.now(), connections: values });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  parentPort.close();
})();
`;

/** Reads every node's /stats each SAMPLE_MS (nodes keep their ports across restarts) until stopped. */
function sampleNodes(c: CaseContext, cluster: RunningCluster): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const worker = new Worker(SAMPLER, {
    eval: true,
    execArgv: [],
    workerData: { urls: cluster.nodes.map((n) => n.stats), everyMs: SAMPLE_MS },
  });
  c.defer(() => worker.terminate());
  worker.on('message', (m: { t: number; connections: (number | null)[] }) =>
    samples.push({ t: round(m.t - c.t0), connections: m.connections }),
  );
  const exited = once(worker, 'exit');
  return {
    samples,
    stop: async () => {
      worker.postMessage('stop');
      await Promise.race([exited, sleep(2000)]);
    },
  };
}

/** The longest time between two samples, ms: the storm's resolution at its worst. */
const maxGap = (samples: readonly Sample[]) => round(Math.max(0, ...samples.slice(1).map((s, i) => s.t - samples[i]!.t)));

/**
 * What node `node` gained during [from, to): the samples in it (and the last one before it, the baseline), and in all.
 * `peakPerS`, the storm: the most it gained within STORM_SPAN_MS (two samples at most that far apart), or where two
 * consecutive samples are further apart than that, their gain per second.
 */
function gainOf(samples: readonly Sample[], node: number, from: number, to: number): { peakPerS: number; gained: number } {
  const baseline = samples.findLastIndex((s) => s.t < from);
  const points = samples
    .slice(Math.max(0, baseline))
    .filter((s) => s.t < to && s.connections[node] !== null)
    .map((s) => ({ t: s.t, v: s.connections[node]! }));
  let peakPerS = 0;
  for (let m = 1; m < points.length; m++) {
    for (let k = m - 1; k >= 0 && (k === m - 1 || points[m]!.t - points[k]!.t <= STORM_SPAN_MS); k--) {
      const spanS = Math.max(1, (points[m]!.t - points[k]!.t) / STORM_SPAN_MS);
      peakPerS = Math.max(peakPerS, Math.round((points[m]!.v - points[k]!.v) / spanS));
    }
  }
  const gained = points.length === 0 ? 0 : Math.max(...points.map((p) => p.v)) - points[0]!.v;
  return { peakPerS, gained };
}

/**
 * Delivery ratio: each client should have every quote from its first seq to `endSeq` (the publisher's seq when the
 * redeploy ended; every client was connected before it began). expected = sum over clients of (endSeq - first + 1),
 * received = sum of the distinct seqs each got in that range. A client that never came back counts every quote after
 * its drop as undelivered, which a count between its own first and last seq would not see.
 */
function deliveryRatio(watched: readonly WatchedClient[], endSeq: number): { expected: number; received: number; ratio: number | null } {
  let expected = 0;
  let received = 0;
  for (const w of watched) {
    if (w.seqs.length === 0) continue;
    const first = Math.min(...w.seqs);
    expected += Math.max(0, endSeq - first + 1);
    received += new Set(w.seqs.filter((seq) => seq <= endSeq)).size;
  }
  return { expected, received, ratio: expected === 0 ? null : round(received / expected, 5) };
}

/** Consecutive seqs as [from, to] ranges: [3, 4, 5, 9] -> [[3, 5], [9, 9]]. */
function ranges(seqs: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const seq of [...seqs].sort((a, b) => a - b)) {
    const last = out.at(-1);
    if (last && seq === last[1] + 1) last[1] = seq;
    else out.push([seq, seq]);
  }
  return out;
}

/** A few clients that lost or repeated quotes, the ones that lost first: which seqs, and when their connections went. */
function lossExamples(watched: readonly WatchedClient[], limit = 5): Json {
  const examples: { lost: number; example: Json }[] = [];
  for (const [index, w] of watched.entries()) {
    const seen = new Set<number>();
    const repeated: number[] = [];
    for (const seq of w.seqs) {
      if (seen.has(seq)) repeated.push(seq);
      seen.add(seq);
    }
    const highest = Math.max(...seen);
    const missing: number[] = [];
    for (let seq = Math.min(...seen); seq <= highest; seq++) if (!seen.has(seq)) missing.push(seq);
    if (missing.length + repeated.length === 0) continue;
    const example = {
      client: index,
      missing: ranges(missing),
      duplicated: ranges(repeated),
      drops: w.drops.slice(0, 6),
      opens: w.opens.slice(0, 6),
    };
    examples.push({ lost: missing.length, example });
  }
  return examples
    .sort((a, b) => Number(b.lost > 0) - Number(a.lost > 0))
    .slice(0, limit)
    .map((e) => e.example);
}

async function redeploy(c: CaseContext, transport: ClusterTransport): Promise<Observed> {
  const count = c.h.full ? CLIENTS.full : CLIENTS.quick;
  const files = nofile();
  if (files.soft !== null && files.soft < count + FILE_HEADROOM) {
    throw new Error(
      `lab: ${count} clients need about ${count + FILE_HEADROOM} open files; this process may open ${files.soft} (ulimit -n)`,
    );
  }
  const cluster = await c.cluster({ transport, nodes: NODES, balance: 'round-robin', rate: RATE, seed: SEED });
  const connectStart = c.elapsed();
  const watched = await watchClients(c, transport, cluster.url, count);
  const connectMs = round(c.elapsed() - connectStart);
  const hadQuotes = await until(() => watched.every((w) => w.seqs.length > 0), FIRST_QUOTES_MS, 100);
  const connectionsBefore = await connectionsPerNode(cluster);

  const events: TimedEvent[] = [];
  const mark = (type: string, node: number) => events.push({ t: c.elapsed(), source: 'cluster', type, detail: { node } });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const sampler = sampleNodes(c, cluster);
  const startSeq = cluster.publisher.feed.latestSeq;
  const redeployStart = c.elapsed();
  loopDelay.enable();
  const stops: Stop[] = [];
  for (let node = 0; node < NODES; node++) {
    const at = c.elapsed();
    mark('stop', node);
    await cluster.stopNode(node);
    const exitedAt = c.elapsed();
    mark('exited', node);
    await cluster.startNode(node);
    const startedAt = c.elapsed();
    mark('started', node);
    await until(async () => (await nodeSnapshots(cluster))[node] !== null, BACK_MS, 100);
    const backAt = c.elapsed();
    mark('back', node);
    // The rollout moves on once the node is back and the clients it dropped are connected again: with SSE's 3 s retry,
    // a fixed pause would stop the next node while they are still away, and mix two stops' storms into one.
    const dropped = watched.filter((w) => w.drops.some((d) => d >= at));
    const returned = await until(() => dropped.every((w) => w.opens.some((o) => o > at)), RETURN_MS, 50);
    const returnedAt = c.elapsed();
    mark(returned ? 'returned' : 'not-returned', node);
    stops.push({ node, at, exitedAt, startedAt, backAt, returnedAt });
    await sleep(SETTLE_MS);
  }
  loopDelay.disable();
  const redeployMs = round(c.elapsed() - redeployStart);
  const endSeq = cluster.publisher.feed.latestSeq;
  const catchUpStart = c.elapsed();
  const caughtUp = await until(() => allPast(watched, endSeq + CATCH_UP), CATCH_UP_MS, 100);
  const catchUpMs = round(c.elapsed() - catchUpStart);
  await sampler.stop();
  const connectionsAfter = await connectionsPerNode(cluster);

  // A stop's window: from its SIGTERM to the next one (the last: to the end of the catch-up).
  const windows = stops.map((stop, i) => ({ stop, to: stops[i + 1]?.at ?? Number.POSITIVE_INFINITY }));
  const perStop = windows.map(({ stop, to }) => {
    const dropped = watched.filter((w) => w.drops.some((d) => d >= stop.at && d < to));
    const gaps = gapsAfter(dropped, stop.at);
    const survivors = cluster.nodes
      .filter((n) => n.index !== stop.node)
      .map((n) => ({ node: n.index, ...gainOf(sampler.samples, n.index, stop.at, to) }));
    return { stop, dropped: dropped.length, gaps, survivors };
  });
  const allGaps = perStop.flatMap((s) => s.gaps);
  const delivery = deliverySummary(watched);
  const ratio = deliveryRatio(watched, endSeq);
  // Away at the end: its connection went (by a stop) and no open came after.
  const neverReconnected = watched.filter((w) => w.drops.length > 0 && (w.opens.at(-1) ?? 0) < w.drops.at(-1)!).length;
  const moved = watched.filter((w) => w.client.counters.reconnects > 0);
  const ns = (value: number) => round(value / 1e6);

  return {
    events,
    counts: {
      clients: watched.length,
      published: endSeq - startSeq,
      expected: ratio.expected,
      received: ratio.received,
      messages: delivery.received!,
      lost: delivery.lost!,
      duplicated: delivery.duplicated!,
      outOfOrder: delivery.outOfOrder!,
      clientsWithLoss: delivery.clientsWithLoss!,
      resets: delivery.resetsExpired! + delivery.resetsAhead!,
      reconnects: watched.reduce((sum, w) => sum + w.client.counters.reconnects, 0),
      movedClients: moved.length,
      neverReconnected,
    },
    facts: {
      profile: c.h.full ? 'full' : 'quick',
      clients: watched.length,
      nodes: NODES,
      fileLimit: files.soft,
      connectMs,
      hadQuotesBeforeRedeploy: hadQuotes,
      connectionsBefore,
      connectionsAfter,
      deliveryRatio: ratio.ratio,
      redeployEndSeq: endSeq,
      reconnectMs: allGaps.length === 0 ? null : { ...distribution(allGaps) },
      stormPerNode: perStop.map((s) => Math.max(0, ...s.survivors.map((n) => n.peakPerS))),
      stops: perStop.map(({ stop, dropped, gaps, survivors }) => ({
        node: stop.node,
        atMs: stop.at,
        stopMs: round(stop.exitedAt - stop.at),
        startMs: round(stop.startedAt - stop.exitedAt),
        backMs: round(stop.backAt - stop.startedAt),
        returnedMs: round(stop.returnedAt - stop.at),
        dropped,
        reconnectMs: gaps.length === 0 ? null : { ...distribution(gaps) },
        survivors,
      })),
      lossExamples: lossExamples(watched),
      recoveredClients: transport === 'socketio' ? moved.filter((w) => (w.client as SocketIoClient).recovered).length : null,
      redeployMs,
      caughtUp,
      catchUpMs,
      clientLoopDelayMs: { p50: ns(loopDelay.percentile(50)), p99: ns(loopDelay.percentile(99)), max: ns(loopDelay.max) },
      samples: { n: sampler.samples.length, maxGapMs: maxGap(sampler.samples) },
      // [t, connections on node 0, 1, 2] every SAMPLE_MS through the redeploy (null: no answer), for a chart.
      connectionsTimeline: sampler.samples.slice(0, 400).map((s) => [s.t, ...s.connections]) as Json,
    },
  };
}

/** The reconnect knobs each transport ran with (their defaults), as recorded in setup. */
const RECONNECT: Record<ClusterTransport, { [name: string]: Json }> = {
  sse: { retryMs: SERVER_DEFAULTS.retryMs },
  ws: { reconnectMs: RECONNECT_MS, jitter: 'none' },
  socketio: {
    reconnectionDelay: RECONNECT_MS,
    reconnectionDelayMax: RECONNECT_MS,
    randomizationFactor: SOCKET_IO_RANDOMIZATION,
    transports: ['websocket'],
  },
};

function redeployCase(transport: ClusterTransport): CaseSpec {
  return {
    transport,
    case: 'redeploy',
    client: 'node',
    title: `${spec(transport).label}: ${NODES} nodes behind nginx restarted one at a time (SIGTERM, start, next) under N Node clients`,
    claims: ['sse-event-ids-resume', 'ws-needs-own-resume-protocol'],
    setup: {
      clients: CLIENTS,
      nodes: NODES,
      balance: 'round-robin',
      rate: RATE,
      seed: SEED,
      stop: 'SIGTERM',
      connectBatch: CONNECT_BATCH,
      sampleMs: SAMPLE_MS,
      stormSpanMs: STORM_SPAN_MS,
      nextStop: 'once the node answers /stats and the clients it dropped are connected again (at most returnMs), then settleMs',
      returnMs: RETURN_MS,
      settleMs: SETTLE_MS,
      catchUpQuotes: CATCH_UP,
      catchUpMs: CATCH_UP_MS,
      ...RECONNECT[transport],
    },
    // Full size: about 30 s to connect 2000 clients, 15 s of redeploy, up to 30 s of catch-up, and the cluster's start.
    timeoutMs: 180_000,
    run: (c) => redeploy(c, transport),
  };
}

export const clusterRollingRestart: ScenarioSpec = {
  name: 'cluster-rolling-restart',
  title: 'A redeploy: nodes restarted one at a time under N clients; delivery, time without quotes, the reconnect storm',
  cases: CLUSTERED.map(redeployCase),
  alone: 'its N clients (2,000 at full size) and the reconnect storm take the cores: cases beside it would change its time without quotes',
};
