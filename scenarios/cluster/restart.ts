/**
 * Scenario `cluster-restart`: the whole cluster restarted under its clients. Every node and the publisher restart
 * while Redis keeps the stream (`redis-kept`): SSE and ws resume from it as after one node's death. Then Redis
 * restarts too, empty (`redis-lost`): the new publisher numbers from 1 again, every id a client holds is ahead of it,
 * and the server must say so (a `reset` with reason `ahead`) rather than let the client's seq go back in silence.
 *
 * Method. Per transport a cluster can run (sse, ws, socketio): Redis, the publisher at RATE quotes/s, NODES nodes
 * with the server defaults (SSE `retry:` 3000 ms) behind nginx (`tuned`, round robin); CLIENTS Node clients
 * (socket.io WebSocket-only: round robin breaks long-polling). Once the feed has passed WARM_SEQ (so an id from
 * before the restart is far ahead of a new feed's first quotes) the case calls RunningCluster.restartAll: every node
 * SIGTERMed, the publisher stopped, with `redis-lost` Redis stopped and started empty on its port, the nodes started
 * on their ports, then the publisher (it resumes after the stream's newest seq: `publisherResumedAfter`). Then it
 * waits until every client has, from the restarted cluster, a quote PAST seqs beyond the new publisher's first (at
 * most BACK_MS). Quotes a client received before restartAll returned came from the old nodes, the later ones from
 * the new (the new publisher starts last, so the new nodes carry nothing before): when the new publisher numbers
 * below where the old one stopped (`numberingRestarted`), the two are two feeds and are counted apart. Lost = quotes
 * a feed published while the client followed it that the client never got: the old feed from the client's first
 * quote to the old publisher's last (`seqAtStop`: it publishes while the nodes stop), the new one from its first
 * quote to the client's last (`lostByFeed` splits them); with one numbering, from the client's first quote to its
 * last. Duplicated and out-of-order are counted within a feed. `silentRegressions`: clients that received a seq below
 * the highest they had received since their last `ahead` reset (a resent older quote counts too): the numbering went
 * back and nothing told them (socket.io has no reset; `recoveredClients` counts the moved clients whose last connect
 * recovered their session).
 * `backAfterMs`: per client, ms from the start of the restart to its first quote from the restarted cluster. An SSE
 * client whose reconnect (`retry:` after the drop) comes while every node is still down gets nginx's nodes-down
 * answer (a 200 event stream that says only `retry:`; servers/proxy/profiles.ts NODES_DOWN) and tries again; without
 * it nginx's 502 would end the EventSource for good. `clientsBack` and `clientErrors` show what happened.
 *
 * Samples: CLIENTS clients per case, one restart. Invalidated by: a client whose reconnect reaches a node only after
 * the new feed has passed its id (none is then ahead: no reset is due, and its seqs skip forward): the time it took
 * is in `backAfterMs`, the ids it resumed from in `firstSeqAfter`.
 */
import { tally } from '../../scripts/abuse/observe.ts';
import { FEED_DEFAULTS } from '../../servers/feed.ts';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import { spec } from '../capabilities.ts';
import { type CaseContext, type CaseSpec, type ScenarioSpec, until } from '../harness.ts';
import { round } from '../measure.ts';
import type { Json, Observed } from '../types.ts';
import {
  backAfterMs,
  CLUSTERED,
  type ClusterTransport,
  deliverySummary,
  movedAfter,
  trackOf,
  type WatchedClient,
  watchClients,
} from './clients.ts';
import { NODE_CLIENT } from './node-death.ts';
import { deliveryOf } from '../../scripts/lib/delivery.ts';

const NODES = 2;
const RATE = 20;
const CLIENTS = 10;
/** The restart starts once the publisher has passed this seq: 5 s of feed at RATE. */
const WARM_SEQ = 100;
/** Every client must get a quote this many seqs past the new publisher's first. */
const PAST = 20;
const READY_MS = 10_000;
const BACK_MS = 20_000;

type Redis = 'kept' | 'lost';

/** A client, where in its arrival order each `ahead` reset came (seqs.length at that moment), and its errors. */
interface Followed {
  w: WatchedClient;
  aheadAt: number[];
  errors: string[];
}

/** Quotes a feed published in `from..to` that never arrived, with duplicates and late arrivals among `seqs`. */
function delivered(seqs: readonly number[], from: number, to: number) {
  const { duplicated, outOfOrder } = deliveryOf(seqs);
  const inRange = new Set(seqs.filter((seq) => seq >= from && seq <= to)).size;
  return { lost: Math.max(0, to - from + 1 - inRange), duplicated, outOfOrder };
}

/** Whether the client's seq ever went below the highest it had since its last `ahead` reset. */
function regressedSilently({ w, aheadAt }: Followed): boolean {
  let highest = 0;
  return w.seqs.some((seq, i) => {
    if (aheadAt.includes(i)) highest = 0;
    const back = seq < highest;
    highest = Math.max(highest, seq);
    return back;
  });
}

/** Each distinct text once, with how many times it came: `ahead x10`. */
const counted = (texts: readonly string[]): string[] => Object.entries(tally(texts)).map(([text, n]) => `${text} x${n}`);

async function restart(c: CaseContext, transport: ClusterTransport, redis: Redis): Promise<Observed> {
  const cluster = await c.cluster({ transport, nodes: NODES, balance: 'round-robin', rate: RATE });
  const followed: Followed[] = (await watchClients(c, transport, cluster.url, CLIENTS)).map((w) => {
    const aheadAt: number[] = [];
    const errors: string[] = [];
    w.client.on('reset', (reset) => {
      if (reset.reason === 'ahead') aheadAt.push(w.seqs.length);
    });
    w.client.on('error', (error) => errors.push(error.message.slice(0, 160)));
    return { w, aheadAt, errors };
  });
  await until(() => cluster.publisher.feed.latestSeq >= WARM_SEQ && followed.every(({ w }) => w.seqs.length > 0), READY_MS);

  const oldPublisher = cluster.publisher;
  const seqBefore = oldPublisher.feed.latestSeq;
  const startedAt = c.elapsed();
  await cluster.restartAll({ redis: redis === 'lost' });
  const endedAt = c.elapsed();
  const seqAtStop = oldPublisher.feed.latestSeq;
  const resumedAfter = cluster.publisher.resumedAfter;
  const target = cluster.publisher.feed.latestSeq + PAST;
  await until(() => followed.every(({ w }) => (w.seqs.at(-1) ?? 0) >= target && (w.times.at(-1) ?? 0) > endedAt), BACK_MS);

  const numberingRestarted = resumedAfter < seqAtStop;
  const totals = { lost: 0, duplicated: 0, outOfOrder: 0, clientsWithLoss: 0 };
  const lostByFeed = { old: 0, new: 0 };
  const firstAfter: number[] = [];
  let received = 0;
  let firstSeen = Number.POSITIVE_INFINITY;
  let lastSeen = 0;
  for (const { w } of followed) {
    if (w.seqs.length === 0) continue;
    const split = w.times.findIndex((t) => t > endedAt);
    const before = split === -1 ? w.seqs : w.seqs.slice(0, split);
    const after = split === -1 ? [] : w.seqs.slice(split);
    if (after.length > 0) firstAfter.push(after[0]!);
    const oldFeed = !numberingRestarted
      ? delivered(w.seqs, Math.min(...w.seqs), Math.max(...w.seqs))
      : before.length > 0
        ? delivered(before, Math.min(...before), seqAtStop)
        : undefined;
    const newFeed = numberingRestarted && after.length > 0 ? delivered(after, resumedAfter + 1, Math.max(...after)) : undefined;
    lostByFeed.old += oldFeed?.lost ?? 0;
    lostByFeed.new += newFeed?.lost ?? 0;
    for (const d of [oldFeed, newFeed]) {
      totals.lost += d?.lost ?? 0;
      totals.duplicated += d?.duplicated ?? 0;
      totals.outOfOrder += d?.outOfOrder ?? 0;
    }
    if ((oldFeed?.lost ?? 0) + (newFeed?.lost ?? 0) > 0) totals.clientsWithLoss++;
    received += w.seqs.length;
    firstSeen = Math.min(firstSeen, ...(numberingRestarted ? before : w.seqs));
    lastSeen = Math.max(lastSeen, ...(numberingRestarted ? after : w.seqs));
  }
  // What was published while the clients followed: with two numberings, the old feed from the first quote seen to its
  // end, and the new feed from its start to the last quote seen.
  const published =
    received === 0 ? 0 : numberingRestarted ? seqAtStop - firstSeen + 1 + (lastSeen - resumedAfter) : lastSeen - firstSeen + 1;

  const tracks = followed.map(({ w }) => trackOf(w));
  const moved = movedAfter(tracks, startedAt);
  const summary = deliverySummary(tracks);
  return {
    counts: {
      clients: followed.length,
      movedClients: moved.length,
      clientsBack: followed.filter(({ w }) => (w.times.at(-1) ?? 0) > endedAt).length,
      received,
      ...totals,
      // Resets only: lost and duplicated are counted per feed above, not over one numbering.
      resetsExpired: summary.resetsExpired,
      resetsAhead: summary.resetsAhead,
      published,
      errors: followed.reduce((n, { errors }) => n + errors.length, 0),
    },
    facts: {
      restartMs: round(endedAt - startedAt),
      restartStartedAtMs: startedAt,
      seqBefore,
      seqAtStop,
      publisherResumedAfter: resumedAfter,
      numberingRestarted,
      // Two numberings: lost from the old feed's tail (published after the client's last quote, gone with Redis) and
      // from the new feed's head (published before the client was back).
      lostByFeed: numberingRestarted ? lostByFeed : null,
      firstSeqAfter: firstAfter.length === 0 ? null : { min: Math.min(...firstAfter), max: Math.max(...firstAfter) },
      backAfterMs: backAfterMs(tracks, startedAt, endedAt),
      resetReasons: counted(followed.flatMap(({ w }) => w.resets.map((reset) => reset.reason))),
      silentRegressions: followed.filter(regressedSilently).length,
      recoveredClients: transport === 'socketio' ? moved.filter((k) => k.recovered === true).length : null,
      // What the clients reported going wrong while the cluster was down (refused connections, nginx's 502 to a WebSocket).
      clientErrors: counted(followed.flatMap(({ errors }) => errors)),
    } satisfies { [name: string]: Json },
  };
}

function restartCase(transport: ClusterTransport, redis: Redis): CaseSpec {
  const api = spec(transport).browserApi!;
  return {
    transport,
    case: `redis-${redis}`,
    client: 'node',
    title:
      `${CLIENTS} Node ${spec(transport).label} clients through a restart of every node and the publisher, ` +
      (redis === 'kept' ? 'Redis keeping the stream' : 'Redis restarted empty'),
    claims: ['sse-event-ids-resume', 'ws-needs-own-resume-protocol'],
    setup: {
      nodes: NODES,
      balance: 'round-robin',
      rate: RATE,
      seed: FEED_DEFAULTS.seed,
      replay: FEED_DEFAULTS.replay,
      ...(api === 'EventSource' ? { sseRetryMs: SERVER_DEFAULTS.retryMs, sseRetry: "the lab server's default" } : {}),
      server: 'lab defaults otherwise; nginx profile tuned',
      clients: CLIENTS,
      client: NODE_CLIENT[api],
      warmSeq: WARM_SEQ,
      restart:
        'every node SIGTERMed, the publisher stopped, ' +
        (redis === 'kept' ? 'Redis kept (the stream lab:quotes with it), ' : 'Redis stopped and started empty on its port, ') +
        'the nodes started on their ports, then the publisher',
      watch: `until every client has a quote from the restarted cluster ${PAST} seqs past the new publisher's first, at most ${BACK_MS} ms`,
    },
    run: (c) => restart(c, transport, redis),
  };
}

export const clusterRestart: ScenarioSpec = {
  name: 'cluster-restart',
  title: 'Every node and the publisher restarted, with and without the Redis stream: resumed, lost, reset or silent',
  cases: CLUSTERED.flatMap((transport) => [restartCase(transport, 'kept'), restartCase(transport, 'lost')]),
};
