/**
 * Scenario `idle-heartbeat`: a connection that carries nothing for longer than an intermediary's
 * idle timeout, with and without heartbeats.
 *
 * Method. The wire tap runs as a proxy-like relay that cuts any connection with no bytes in
 * either direction for IDLE_MS (as nginx's proxy_read_timeout or a load balancer's idle timeout
 * would, but short enough for a test). Behind it, a lab server with its feed paused (so the only
 * traffic is the heartbeat): SSE with no heartbeat and with a `:` comment every HEARTBEAT_MS
 * (`retry: 200`); raw ws with no heartbeat and with protocol ping frames every HEARTBEAT_MS (the
 * browser answers pong by itself); socket.io (websocket transport, client reconnecting after
 * 200 ms with randomizationFactor 0) with the server's default pingInterval (25 s in socket.io's
 * documentation, longer than the watch) and with pingInterval HEARTBEAT_MS. Each case watches WATCH_MS and records the
 * relay's idle cuts, the connections it relayed (reconnects), and the page's events. The
 * polyfill's own heartbeat timeout is in scenario `polyfill` (cases polyfill-heartbeat-*), and
 * native EventSource on a silent stream with no intermediary in `polyfill/sse/native-silent`.
 * Every browser transport takes part, its heartbeat chosen by its browser API; SSE over HTTP/2
 * runs through the same relay carrying TLS bytes it cannot read (an HTTP/2 connection has PING
 * frames of its own, but neither Chromium nor node:http2 sends them on an idle connection, so
 * the case shows whether anything but the `:` comments keeps it open).
 *
 * Samples: one connection per case. Invalidated by: a machine so loaded that a heartbeat timer
 * fires later than IDLE_MS - HEARTBEAT_MS (700 ms) behind schedule.
 */
import { type BrowserApi, endpointPath, httpScheme, spec, tlsOnly } from './capabilities.ts';
import { portOf, sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { countOf } from './measure.ts';
import { SCENARIO_TRANSPORTS, type Json, type Observed, type ScenarioTransport } from './types.ts';

const IDLE_MS = 1000;
const HEARTBEAT_MS = 300;
const WATCH_MS = 3500;

async function throughRelay(c: CaseContext, transport: ScenarioTransport, heartbeat: boolean): Promise<Observed> {
  const server = await c.lab(transport, { heartbeatMs: heartbeat ? HEARTBEAT_MS : null, retryMs: 200 });
  const relay = await c.tap({
    target: { host: '127.0.0.1', port: portOf(server.url) },
    idleTimeoutMs: IDLE_MS,
    opaque: tlsOnly(transport),
  });
  const page = await c.page();
  const api = spec(transport).browserApi;
  const scheme = api === 'WebSocket' ? 'ws' : httpScheme(transport);
  await page.openClient(transport, 'x', relay.url(scheme, endpointPath(server.url)), {
    transports: ['websocket'],
    reconnectionDelay: 200,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
  });
  await sleep(WATCH_MS);
  const events = await page.events('x');
  const count = (type: string) => countOf(events, type);
  return {
    events,
    readyState: api === 'socket.io' ? null : await page.readyState('x'),
    counts: {
      idleCuts: relay.idleCuts,
      relayedConnections: relay.connections.length,
      opens: count('open'),
      errors: count('error'),
      closes: count('close'),
    },
    server: {
      connections: relay.connections.length,
      requests: relay.requests.slice(0, 20),
      counters: { peakConnections: server.stats.peakConnections },
    },
    facts: {
      idleTimeoutMs: IDLE_MS,
      watchedMs: WATCH_MS,
      reconnectedByItself: count('open') > 1,
      firstCutAtMs: relay.connections.find((x) => x.endedBy === 'idle')?.closedAt ?? null,
      openAtEnd: relay.connections.some((x) => x.closedAt === undefined),
    },
  };
}

/** Each browser API's heartbeat: in a title with and without it, and as the setting the case records with and without it. */
const HEARTBEATS: Record<BrowserApi, { with: string; without: string; on: string; off: string }> = {
  EventSource: { with: '`:` comments', without: 'no comments', on: `: comment every ${HEARTBEAT_MS} ms`, off: 'none' },
  WebSocket: { with: 'ping frames', without: 'no pings', on: `ping frame every ${HEARTBEAT_MS} ms`, off: 'none' },
  'socket.io': {
    with: `pingInterval ${HEARTBEAT_MS} ms`,
    without: 'default pingInterval',
    on: `pingInterval ${HEARTBEAT_MS} ms`,
    off: "the socket.io server's default pingInterval",
  },
};

function relayCase(transport: ScenarioTransport, heartbeat: boolean): CaseSpec {
  const api = spec(transport).browserApi!;
  const beat = HEARTBEATS[api];
  const setup: Record<string, Json> = {
    idleTimeoutMs: IDLE_MS,
    heartbeatMs: heartbeat ? HEARTBEAT_MS : null,
    heartbeat: heartbeat ? beat.on : beat.off,
    watchMs: WATCH_MS,
    feed: 'paused',
    ...(api === 'socket.io' ? { reconnectionDelay: 200, randomizationFactor: 0 } : {}),
    ...(tlsOnly(transport) ? { relay: 'TCP relay carrying TLS (HTTP/2)' } : {}),
  };
  return {
    transport,
    case: heartbeat ? 'relay-heartbeat' : 'relay-silent',
    client: 'browser',
    title: `${transport} through a relay with a ${IDLE_MS} ms idle timeout, ${heartbeat ? beat.with : beat.without}`,
    claims: ['sse-heartbeat-comments-needed'],
    setup,
    run: (c) => throughRelay(c, transport, heartbeat),
  };
}

export const idleHeartbeat: ScenarioSpec = {
  name: 'idle-heartbeat',
  title: 'Idle connections through a relay with an idle timeout, with and without heartbeats',
  cases: SCENARIO_TRANSPORTS.flatMap((transport) => [relayCase(transport, false), relayCase(transport, true)]),
};
