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
 *
 * Samples: one connection per case. Invalidated by: a machine so loaded that a heartbeat timer
 * fires later than IDLE_MS - HEARTBEAT_MS (700 ms) behind schedule.
 */
import { portOf, sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { countOf } from './measure.ts';
import type { Observed, ScenarioTransport } from './types.ts';

const IDLE_MS = 1000;
const HEARTBEAT_MS = 300;
const WATCH_MS = 3500;

async function throughRelay(c: CaseContext, transport: ScenarioTransport, heartbeat: boolean): Promise<Observed> {
  const server = await c.lab(transport, { heartbeatMs: heartbeat ? HEARTBEAT_MS : null, retryMs: 200 });
  const relay = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, idleTimeoutMs: IDLE_MS });
  const page = await c.page();
  if (transport === 'sse') await page.call('eventSource', 'x', relay.url('http', '/sse'));
  else if (transport === 'ws') await page.call('webSocket', 'x', relay.url('ws', '/ws'));
  else
    await page.call('socketIo', 'x', relay.url('http', ''), {
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
    readyState: transport === 'socketio' ? null : await page.readyState('x'),
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

function relayCase(transport: ScenarioTransport, heartbeat: boolean): CaseSpec {
  const what = {
    sse: heartbeat ? '`:` comments' : 'no comments',
    ws: heartbeat ? 'ping frames' : 'no pings',
    socketio: heartbeat ? `pingInterval ${HEARTBEAT_MS} ms` : 'default pingInterval',
  }[transport];
  return {
    transport,
    case: heartbeat ? 'relay-heartbeat' : 'relay-silent',
    client: 'chromium',
    title: `${transport} through a relay with a ${IDLE_MS} ms idle timeout, ${what}`,
    claims: ['sse-heartbeat-comments-needed'],
    setup: {
      idleTimeoutMs: IDLE_MS,
      heartbeatMs: heartbeat ? HEARTBEAT_MS : null,
      heartbeat: heartbeat
        ? transport === 'sse'
          ? `: comment every ${HEARTBEAT_MS} ms`
          : transport === 'ws'
            ? `ping frame every ${HEARTBEAT_MS} ms`
            : `pingInterval ${HEARTBEAT_MS} ms`
        : transport === 'socketio'
          ? "the socket.io server's default pingInterval"
          : 'none',
      watchMs: WATCH_MS,
      feed: 'paused',
      ...(transport === 'socketio' ? { reconnectionDelay: 200, randomizationFactor: 0 } : {}),
    },
    run: (c) => throughRelay(c, transport, heartbeat),
  };
}

export const idleHeartbeat: ScenarioSpec = {
  name: 'idle-heartbeat',
  title: 'Idle connections through a relay with an idle timeout, with and without heartbeats',
  cases: (['sse', 'ws', 'socketio'] as const).flatMap((transport) => [relayCase(transport, false), relayCase(transport, true)]),
};
