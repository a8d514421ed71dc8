/**
 * Several server processes behind nginx with Redis between them (issue 11): whether socket.io needs sticky sessions
 * (socketio-needs-sticky-sessions, from cluster-sticky), whether a raw WebSocket needs a resume protocol of your own
 * (ws-needs-own-resume-protocol: the reconnect scenario's bare WebSocket against the lab's `?since=` protocol on a
 * shared log, across a node's death and whole-cluster restarts), and what the cluster adds to sse-event-ids-resume
 * (read by reconnect.ts through clusterResume below).
 */
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, ms, plural } from './words.ts';

const sticky = (transport: string, config: string) => `cluster-sticky/${transport}/${config}`;

/** One cluster-sticky case: did every client connect and get its quotes, with nothing lost and no 400 from a node? */
function balanced(e: Evidence, id: string) {
  const clients = e.count(id, 'clients');
  const connected = e.count(id, 'connected');
  const quotes = e.count(id, 'quotes');
  const lost = e.count(id, 'lost');
  const http400 = e.count(id, 'http400');
  return {
    clients,
    connected,
    quotes,
    lost,
    http400,
    sessionUnknown: e.fact<number>(id, 'sessionUnknownErrors') ?? 0,
    worked: connected === clients && quotes > 0 && lost === 0 && http400 === 0,
  };
}
type Balanced = ReturnType<typeof balanced>;

const outcome = (b: Balanced) =>
  `${b.connected} of ${b.clients} clients connected, ${b.quotes} quotes, ${b.lost} lost, ${plural(b.http400, 'HTTP 400')}` +
  `${b.sessionUnknown > 0 ? ` ("Session ID unknown" ${b.sessionUnknown} times)` : ''}`;

/**
 * What a node's death, a rolling redeploy and whole-cluster restarts did to one transport's resuming clients (Node and,
 * where run, the browser's). A client that never came back counts nothing lost between its first and last quote, so
 * whether every client caught up (or came back) is read too.
 */
export function clusterResume(e: Evidence, transport: 'sse' | 'ws') {
  const death = (client: string) => {
    const id = `cluster-node-death/${transport}/${client}`;
    return {
      client: client === 'node' ? 'Node clients' : e.browser,
      moved: e.count(id, 'movedClients'),
      lost: e.count(id, 'lost'),
      duplicated: e.count(id, 'duplicated'),
      caughtUp: e.fact<boolean>(id, 'caughtUp') ?? false,
      backP50: e.fact<{ p50?: number } | null>(id, 'backAfterMs')?.p50 ?? null,
    };
  };
  const redeploy = `cluster-rolling-restart/${transport}/redeploy`;
  const kept = `cluster-restart/${transport}/redis-kept`;
  const lostRedis = `cluster-restart/${transport}/redis-lost`;
  return {
    deaths: [death('node'), death('browser')],
    redeploy: {
      clients: e.count(redeploy, 'clients'),
      lost: e.count(redeploy, 'lost'),
      duplicated: e.count(redeploy, 'duplicated'),
      neverBack: e.count(redeploy, 'neverReconnected'),
      caughtUp: e.fact<boolean>(redeploy, 'caughtUp') ?? false,
    },
    restartKept: {
      clients: e.count(kept, 'clients'),
      back: e.count(kept, 'clientsBack'),
      lost: e.count(kept, 'lost'),
      duplicated: e.count(kept, 'duplicated'),
    },
    restartLost: {
      moved: e.count(lostRedis, 'movedClients'),
      resetsAhead: e.count(lostRedis, 'resetsAhead'),
      silent: e.fact<number>(lostRedis, 'silentRegressions') ?? Number.NaN,
    },
  };
}
export type ClusterResume = ReturnType<typeof clusterResume>;

/**
 * Where the cluster evidence fell short, in words; null when nothing was lost or repeated across the node deaths, the
 * redeploy and the restart that kept Redis, every client came back, and every client was told of Redis's loss.
 */
export function clusterShortfall(c: ClusterResume): string | null {
  const death = c.deaths.find((d) => d.lost > 0 || d.duplicated > 0 || d.moved === 0 || !d.caughtUp);
  if (death) return `a node's death (${death.client})`;
  const r = c.redeploy;
  if (r.lost > 0 || r.duplicated > 0 || r.neverBack > 0 || !r.caughtUp) return 'the rolling redeploy';
  const k = c.restartKept;
  if (k.lost > 0 || k.duplicated > 0 || k.back !== k.clients) return 'the restart that kept Redis';
  if (!(c.restartLost.resetsAhead >= c.restartLost.moved && c.restartLost.silent === 0)) return 'the restart that lost Redis';
  return null;
}

/** The cluster's part of a resume verdict's paragraph. */
export function clusterWords(c: ClusterResume, label: string): string {
  const deaths = c.deaths
    .map((d) => `${d.client}: ${d.moved} moved, ${d.lost} lost, ${d.duplicated} duplicated, back after ${ms(d.backP50)} (median)`)
    .join('; ');
  const r = c.redeploy;
  return (
    `With two ${label} nodes behind nginx reading one Redis Stream, a node killed mid-stream (${deaths}); three nodes ` +
    `restarted one at a time under ${r.clients} clients: ${r.lost} lost, ${r.duplicated} duplicated, ${r.neverBack} never ` +
    `back; every node and the publisher restarted while Redis kept the stream: ${c.restartKept.back} of ` +
    `${c.restartKept.clients} clients back, ${c.restartKept.lost} lost, ${c.restartKept.duplicated} duplicated; ` +
    `Redis restarted too (the stream gone): ${plural(c.restartLost.resetsAhead, 'reset')} with reason "ahead" for ` +
    `${c.restartLost.moved} clients and ${plural(c.restartLost.silent, 'silent step')} back. `
  );
}

export const CLUSTER_RULES = {
  'socketio-needs-sticky-sessions': rule({
    read: (e) => ({
      pollingRoundRobin: balanced(e, sticky('socketio', 'polling-round-robin')),
      pollingSticky: balanced(e, sticky('socketio', 'polling-sticky')),
      websocketRoundRobin: balanced(e, sticky('socketio', 'websocket-round-robin')),
      sse: balanced(e, sticky('sse', 'round-robin')),
      ws: balanced(e, sticky('ws', 'round-robin')),
    }),
    decide(s) {
      const broken = !s.pollingRoundRobin.worked;
      // Confirmed only when socket.io failed through round robin on WebSocket too; depends when only long-polling did.
      return {
        verdict: !broken ? 'refuted' : s.websocketRoundRobin.worked ? 'depends' : 'confirmed',
        figures: {
          pollingRoundRobinWorked: s.pollingRoundRobin.worked,
          pollingRoundRobin400: s.pollingRoundRobin.http400,
          pollingStickyWorked: s.pollingSticky.worked,
          websocketOnlyRoundRobinWorked: s.websocketRoundRobin.worked,
          sseRoundRobinWorked: s.sse.worked,
          wsRoundRobinWorked: s.ws.worked,
        },
      };
    },
    word(s, d) {
      return (
        `Two socket.io nodes behind nginx, ten Node clients each from their own 127.0.0.x address. With its default ` +
        `transports (long-polling first) through round robin: ${outcome(s.pollingRoundRobin)}; through \`hash $remote_addr\` ` +
        `(sticky): ${outcome(s.pollingSticky)}; WebSocket only, through round robin: ${outcome(s.websocketRoundRobin)}. ` +
        `Through round robin SSE: ${outcome(s.sse)}; a raw WebSocket: ${outcome(s.ws)}. ` +
        closing(d.verdict, {
          confirmed: 'socket.io failed through round robin whatever its transport: confirmed.',
          depends:
            'Long-polling is several HTTP requests per session, and only the node that issued the session id knows it, so they ' +
            'must all reach that node; a WebSocket is one connection and stays put on its own. socket.io needs sticky sessions ' +
            'with its default transports, not with WebSocket only' +
            `${s.sse.worked && s.ws.worked ? '; SSE and a raw WebSocket did not either' : ''}: depends.`,
          refuted: 'socket.io with long-polling worked through round robin: refuted.',
        })
      );
    },
  }),

  'ws-needs-own-resume-protocol': rule({
    read: (e) => ({
      // The reconnect scenario's bare WebSocket: dropped, does anything come back by itself?
      bare: { afterDrop: e.count('reconnect/ws/destroy', 'connectionsAfterDrop') },
      cluster: clusterResume(e, 'ws'),
      socketIoKill: {
        moved: e.count('cluster-node-death/socketio/node', 'movedClients'),
        lost: e.count('cluster-node-death/socketio/node', 'lost'),
        recovered: e.fact<number>('cluster-node-death/socketio/node', 'recoveredClients') ?? Number.NaN,
      },
    }),
    decide(s) {
      const bareCameBack = s.bare.afterDrop > 0;
      const shortfall = clusterShortfall(s.cluster);
      return {
        verdict: bareCameBack ? 'refuted' : shortfall === null ? 'confirmed' : 'depends',
        figures: {
          bareConnectionsAfterDrop: s.bare.afterDrop,
          ownProtocolClean: shortfall === null,
          socketIoLostOnKill: s.socketIoKill.lost,
        },
        shortfall,
      };
    },
    word(s, d) {
      return (
        `A bare WebSocket, dropped, opened ${plural(s.bare.afterDrop, 'connection')} afterwards by itself: no reconnect, no ` +
        "resume point. The lab's own protocol (reconnect with `?since=<last seq>`, a `reset` message when the server cannot " +
        `place it) on nodes that share a log. ${clusterWords(s.cluster, 'ws')}` +
        `socket.io, the library way, after a SIGKILL: ${s.socketIoKill.moved} clients moved, ${s.socketIoKill.recovered} recovered, ` +
        `${s.socketIoKill.lost} quotes lost (its recovery session is saved by the node that sees the disconnect, which a killed ` +
        'node never does). ' +
        closing(d.verdict, {
          confirmed:
            'WebSocket has no ids and no replay: the lab had to write both, and with them and a shared log nothing was lost: confirmed.',
          depends:
            'WebSocket has no ids and no replay: the lab wrote its own, and it fell short in ' +
            `${d.shortfall ?? 'the cluster'} (quotes lost or repeated, a client not back, or no reset): depends.`,
          refuted: 'The bare WebSocket came back by itself: refuted.',
        })
      );
    },
  }),
} satisfies RuleSet;
