/**
 * What the cluster scenarios share: the transports a cluster runs (nginx balances HTTP/1.1 servers), Node clients
 * watched through the whole case (every quote's seq and arrival time, opens, closes, resets), and what their
 * sequence numbers say about delivery across a node's death, a redeploy or a restart.
 */
import { createClient, type ClientOptions, type LabClient, type ResetInfo, SocketIoClient } from '../../clients/index.ts';
import { nodeSnapshot, type RunningCluster } from '../../servers/cluster/cluster.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { deliveryOf } from '../../scripts/lib/delivery.ts';
import type { CaseContext } from '../harness.ts';
import { distribution, round } from '../measure.ts';
import { PROXIED } from '../proxy/through.ts';
import type { Json, ScenarioTransport } from '../types.ts';

/** Every scenario transport a cluster runs: the ones nginx can front (sse, ws, socketio). */
export const CLUSTERED = PROXIED as ('sse' | 'ws' | 'socketio')[];
export type ClusterTransport = (typeof CLUSTERED)[number];

export interface WatchedClient {
  client: LabClient;
  /** Every quote's seq, in arrival order. */
  seqs: number[];
  /** Each quote's arrival, ms since the case started (same index as seqs). */
  times: number[];
  /** ms since the case started of each open (the first, then each reconnect). */
  opens: number[];
  closes: number[];
  /** Each close or error: the SSE client reconnects by itself and reports a drop as an error, not a close. */
  drops: number[];
  resets: ResetInfo[];
}

/** Clients connect this many at a time: thousands one after another would take minutes. */
export const CONNECT_BATCH = 100;

/**
 * `count` Node clients of `transport` at `url`, connected CONNECT_BATCH at a time and closed together when the case
 * ends (one by one, 2,000 close handshakes behind a busy event loop take minutes). socket.io defaults to WebSocket only
 * here (long-polling needs stickiness: the cluster-sticky scenario), unless `options` says otherwise.
 */
export async function watchClients(
  c: CaseContext,
  transport: ClusterTransport,
  url: string,
  count: number,
  options: Partial<ClientOptions> = {},
): Promise<WatchedClient[]> {
  const clients: LabClient[] = [];
  c.defer(() => Promise.all(clients.map((client) => client.close().catch(() => undefined))));
  const watchOne = async (): Promise<WatchedClient> => {
    const client = createClient(transport, {
      url,
      ...(transport === 'socketio' ? { transports: ['websocket'] as ('polling' | 'websocket')[] } : {}),
      ...options,
    });
    clients.push(client);
    const w: WatchedClient = { client, seqs: [], times: [], opens: [], closes: [], drops: [], resets: [] };
    client.on('quote', ({ quote }) => {
      w.seqs.push(quote.seq);
      w.times.push(c.elapsed());
    });
    client.on('open', () => w.opens.push(c.elapsed()));
    client.on('close', () => {
      w.closes.push(c.elapsed());
      w.drops.push(c.elapsed());
    });
    client.on('error', () => w.drops.push(c.elapsed()));
    client.on('reset', (reset) => w.resets.push(reset));
    await client.connect();
    return w;
  };
  const watched: WatchedClient[] = [];
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    watched.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, watchOne))));
  }
  return watched;
}

/** Whether every client has received a quote with seq >= `seq`. */
export const allPast = (tracks: readonly Pick<Track, 'seqs'>[], seq: number) => tracks.every((k) => (k.seqs.at(-1) ?? 0) >= seq);

/**
 * One client's account, whoever played it: a Node client (trackOf) or a page client read from the page's log.
 * `recovered`: socket.io's last connect recovered its session (null for the other transports).
 */
export interface Track extends Pick<WatchedClient, 'seqs' | 'times' | 'opens' | 'resets'> {
  recovered: boolean | null;
}

/** A Node client's track, read now (socket.io's `recovered` is that of its latest connect). */
export function trackOf(w: WatchedClient): Track {
  return { ...w, recovered: w.client instanceof SocketIoClient ? w.client.recovered : null };
}

/** The clients that opened again after `t` (ms since the case started): the ones that had to move. */
export const movedAfter = <T extends Pick<Track, 'opens'>>(tracks: readonly T[], t: number): T[] =>
  tracks.filter((k) => k.opens.some((o) => o > t));

/**
 * Per client that moved after `t`, ms from `t` to its first quote on a new connection (after its first open since `t`
 * and after `quotesAfter`, default `t`: a restart counts only quotes from the restarted cluster). Quotes still in flight
 * when the connection died arrive after `t` too: they are not "received again". A moved client with no quote since has
 * no gap.
 */
export function gapsAfter(tracks: readonly Pick<Track, 'opens' | 'times'>[], t: number, quotesAfter = t): number[] {
  return movedAfter(tracks, t)
    .map((k) => {
      const reopened = k.opens.find((o) => o > t)!;
      return k.times.find((time) => time >= reopened && time > quotesAfter);
    })
    .filter((time): time is number => time !== undefined)
    .map((time) => round(time - t));
}

/** gapsAfter as a distribution, or null when none moved. */
export function backAfterMs(tracks: readonly Track[], t: number, quotesAfter = t): { [name: string]: Json } | null {
  const gaps = gapsAfter(tracks, t, quotesAfter);
  return gaps.length === 0 ? null : { ...distribution(gaps) };
}

/**
 * Delivery over every client, summed: lost, duplicated and out-of-order quotes, each client between its own first and
 * last seq (scripts/lib/delivery.ts), clients with a loss, and resets by reason. One numbering: a case whose feed starts
 * again (a restart without Redis) counts each feed apart itself.
 */
export function deliverySummary(tracks: readonly Pick<Track, 'seqs' | 'resets'>[]): { [name: string]: number } {
  const total = { received: 0, lost: 0, duplicated: 0, outOfOrder: 0, clientsWithLoss: 0, resetsExpired: 0, resetsAhead: 0 };
  for (const k of tracks) {
    const d = deliveryOf(k.seqs);
    total.received += d.received;
    total.lost += d.lost;
    total.duplicated += d.duplicated;
    total.outOfOrder += d.outOfOrder;
    if (d.lost > 0) total.clientsWithLoss++;
    total.resetsExpired += k.resets.filter((r) => r.reason === 'expired').length;
    total.resetsAhead += k.resets.filter((r) => r.reason === 'ahead').length;
  }
  return total;
}

/** Each node's /stats now (null for a node that is down). */
export function nodeSnapshots(cluster: RunningCluster): Promise<(StatsSnapshot | null)[]> {
  return Promise.all(cluster.nodes.map(nodeSnapshot));
}

/** Connections on each node now (0 for a node that is down). */
export async function connectionsPerNode(cluster: RunningCluster): Promise<number[]> {
  return (await nodeSnapshots(cluster)).map((s) => s?.connections ?? 0);
}

export type { ScenarioTransport };
