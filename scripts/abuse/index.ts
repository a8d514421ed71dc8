/**
 * The attack suite: one named fixture per case of the ten hardening defects (issue 15), in the
 * order the issue lists them, held to the README's "Secure by default". Defect 9 (shutdown under
 * siege) and defect 10 (leftover edges) have more than one case, each on its own server process.
 *
 * SSE over HTTP/2 (sse-h2) takes part where an attack aims at what it shares with SSE: defect 8
 * (every transport's /stats), 9 (a siege of non-reading streams) and 10 (the HTTP edges), sent as
 * HTTP/2 with the lab certificate. The rest aim at ws, engine.io or the TCP floor's own code; and
 * whatever is written as raw HTTP/1.1 bytes cannot reach it at all (registry: `http: '2'`,
 * `tls: 'required'`; node answers a TLS client without ALPN h2 with a bare 403 and closes).
 */
import {
  floodUnreadWithNoSubscription,
  overCapSocketsSendMalformedFrames,
  pingFloodAndBadFrames,
  upgradeToUnparsableTarget,
} from './ws-attacks.ts';
import {
  connectWithNonStringFormat,
  engineIoHandshakesPastTheCap,
  floodUnknownNamespaceUnread,
  pingFloodWithoutAck,
} from './socketio-attacks.ts';
import { oddTargetsOnStatsPort, sseH2HttpEdges, sseHttpEdges, statsGcOnDemand } from './http-attacks.ts';
import {
  endSessionsWithParseError,
  holdNonReadersAndOverCapSocketIo,
  holdNonReadersAndOverCapSseH2,
  holdNonReadersAndOverCapWs,
  NON_READERS,
  stopPollingMidSession,
} from './shutdown-attacks.ts';
import type { Attack } from './types.ts';

export type { Attack, AttackRecord, AbuseFile } from './types.ts';
export { runAttack } from './harness.ts';

const SIEGE_CAP = ['--max-connections', String(NON_READERS + 2)];

export const ATTACKS = [
  {
    id: 'ws-unparsable-upgrade-target',
    defect: 1,
    transport: 'ws',
    title: 'WebSocket upgrade to a target URL() cannot parse',
    run: upgradeToUnparsableTarget,
  },
  {
    id: 'ws-over-cap-malformed-frames',
    defect: 2,
    transport: 'ws',
    title: 'Over-cap WebSockets send malformed frames before the 1013 close completes',
    serverArgs: ['--max-connections', '2'],
    run: overCapSocketsSendMalformedFrames,
  },
  {
    id: 'socketio-non-string-format',
    defect: 3,
    transport: 'socketio',
    title: 'socket.io CONNECT with a non-string auth format',
    run: connectWithNonStringFormat,
  },
  {
    id: 'tcp-stats-port-odd-targets',
    defect: 4,
    transport: 'tcp',
    title: "Odd paths and unparsable targets on the TCP floor's /stats port",
    run: oddTargetsOnStatsPort,
  },
  {
    id: 'ws-unread-flood-no-subscription',
    defect: 5,
    transport: 'ws',
    title: 'Subscribe to nothing, never read, flood 1-byte messages',
    run: floodUnreadWithNoSubscription,
  },
  {
    id: 'socketio-unread-flood-unknown-namespace',
    defect: 5,
    transport: 'socketio',
    title: 'Never join a namespace, never read, flood CONNECTs to one that does not exist',
    run: floodUnknownNamespaceUnread,
  },
  {
    id: 'socketio-ping-flood-without-ack',
    defect: 6,
    transport: 'socketio',
    title: 'socket.io `ping` flood without an ack',
    run: pingFloodWithoutAck,
  },
  {
    id: 'socketio-engineio-past-cap',
    defect: 7,
    transport: 'socketio',
    title: 'engine.io handshakes past --max-connections, never connecting a namespace',
    serverArgs: ['--max-connections', '50'],
    run: engineIoHandshakesPastTheCap,
  },
  {
    id: 'stats-gc-on-demand',
    defect: 8,
    transport: 'sse',
    title: '/stats?gc=1 over and over, with and without --stats-gc',
    run: statsGcOnDemand,
  },
  {
    id: 'ws-sigterm-non-readers-over-cap',
    defect: 9,
    transport: 'ws',
    title: 'SIGTERM with non-reading WebSockets and over-cap sockets',
    serverArgs: SIEGE_CAP,
    run: holdNonReadersAndOverCapWs,
  },
  {
    id: 'socketio-sigterm-non-readers-over-cap',
    defect: 9,
    transport: 'socketio',
    title: 'SIGTERM with non-reading socket.io clients and over-cap sockets',
    serverArgs: SIEGE_CAP,
    run: holdNonReadersAndOverCapSocketIo,
  },
  {
    id: 'sse-h2-sigterm-non-readers-over-cap',
    defect: 9,
    transport: 'sse-h2',
    title: 'SIGTERM with non-reading HTTP/2 SSE streams and over-cap streams',
    serverArgs: SIEGE_CAP,
    run: holdNonReadersAndOverCapSseH2,
  },
  {
    id: 'socketio-sigterm-polling-stopped',
    defect: 9,
    transport: 'socketio',
    title: 'SIGTERM with polling sessions that stopped polling',
    run: stopPollingMidSession,
  },
  {
    id: 'socketio-sigterm-parse-error',
    defect: 9,
    transport: 'socketio',
    title: 'SIGTERM with polling sessions ended by a parse error',
    run: endSessionsWithParseError,
  },
  {
    id: 'sse-http-edges',
    defect: 10,
    transport: 'sse',
    title: 'SSE: unparsable targets, unknown Content-Encoding, empty Last-Event-ID',
    run: sseHttpEdges,
  },
  {
    id: 'sse-h2-http-edges',
    defect: 10,
    transport: 'sse-h2',
    title: 'SSE over HTTP/2: unparsable targets, unknown Content-Encoding, empty Last-Event-ID',
    run: sseH2HttpEdges,
  },
  {
    id: 'ws-ping-flood-bad-frames',
    defect: 10,
    transport: 'ws',
    title: 'ws: protocol-ping flood and bad frames count as violations',
    run: pingFloodAndBadFrames,
  },
] as const satisfies readonly Attack[];

type Registered = (typeof ATTACKS)[number];
export type AttackId = Registered['id'];

/** One attack by id, with its answer's type, so a test reads what it observed without casts. */
export function attack<I extends AttackId>(id: I): Extract<Registered, { id: I }> {
  return ATTACKS.find((a) => a.id === id) as Extract<Registered, { id: I }>;
}
