/**
 * Scenario `direction`: client-to-server round trips, and what each connection carries upstream.
 *
 * Method. The page opens one round-trip channel per transport to a lab server behind a wire tap:
 * a WebSocket sending {"type":"ping"} and waiting for the pong, a socket.io emit with an ack
 * (websocket transport), and for SSE a fetch POST to /sse/ping (an EventSource has no way to send,
 * so the upstream is a separate HTTP request, with CORS: its preflight is answered once and cached
 * during warm-up). WARMUP round trips run first, then SAMPLES sequential ones are timed in the page
 * with performance.now(); a round trip with no answer within TRIP_TIMEOUT_MS (or a failed fetch) is
 * counted in `failed`, not timed. Bytes per round trip = the tap's byte counters (both directions, every
 * connection the page opened to that server) over the timed round trips, divided by SAMPLES: HTTP
 * headers, WebSocket frames and socket.io packets included. The SSE case also opens an
 * EventSource and records the bytes the client sent on the stream connection after its request
 * (the stream is one-way). Each case records the handshake the tap saw (request and status line),
 * which shows how each connection starts. Node cases repeat the timing with clients/ ping().
 *
 * Samples: WARMUP + SAMPLES per case, one connection, no concurrent load. Times are coarsened to
 * 0.1 ms by Chromium (page not cross-origin isolated) and share 2 cores with the servers: use the
 * distribution's shape, not its digits. Invalidated by other load on the machine.
 */
import { createClient } from '../clients/index.ts';
import type { Tap } from './fixtures/tap.ts';
import { portOf, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { distribution, round } from './measure.ts';
import type { Json, Observed, ScenarioTransport } from './types.ts';

const WARMUP = 20;
const SAMPLES = 200;
/** A round trip not answered within this is counted as failed, not timed. */
const TRIP_TIMEOUT_MS = 5000;

const tapBytes = (tap: Tap) => tap.connections.reduce((sum, c) => sum + c.bytesUp + c.bytesDown, 0);

function handshake(tap: Tap, connection = 0): Record<string, Json> {
  const first = tap.connections[connection];
  const request = first?.requests[0];
  return {
    requestLine: request ? `${request.method} ${request.path}` : null,
    upgradeHeader: request?.headers.upgrade ?? null,
    responseStatusLine: first?.response?.statusLine ?? null,
    responseContentType: first?.response?.headers['content-type'] ?? null,
    httpRequestsOnConnection: first?.requestCount ?? null,
    clientBytesAfterRequestHead: first ? first.bytesUp - first.requestHeadBytes : null,
  };
}

async function browserRoundTrips(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  const facts: Record<string, Json> = {};
  if (transport === 'sse') {
    // The stream first, so the tap's first connection is the EventSource's.
    await page.call('eventSource', 'stream', tap.url('http', '/sse'));
    await page.waitForEvents('stream', 'open', 1, 5000);
    Object.assign(facts, handshake(tap));
  }
  const url = transport === 'ws' ? tap.url('ws', '/ws') : transport === 'socketio' ? tap.url('http', '') : tap.url('http', '/sse/ping');
  await page.call('pinger', 'p', transport === 'sse' ? 'sse-fetch' : transport, url, TRIP_TIMEOUT_MS);
  const warmup = await page.call<{ rtts: number[]; failed: number }>('ping', 'p', WARMUP);
  const before = tapBytes(tap);
  const { rtts, failed } = await page.call<{ rtts: number[]; failed: number }>('ping', 'p', SAMPLES);
  const wire = tapBytes(tap) - before;
  if (transport !== 'sse') Object.assign(facts, handshake(tap));
  else {
    const stream = tap.connections[0]!;
    facts.streamRequests = stream.requestCount;
    facts.streamRequestHeadBytes = stream.requestHeadBytes;
    facts.streamBytesFromClientAfterRequest = stream.bytesUp - stream.requestHeadBytes;
    facts.preflights = tap.requests.filter((r) => r.method === 'OPTIONS').length;
    facts.pingRequests = tap.connections.slice(1).reduce((sum, x) => sum + x.requestCount, 0) - (facts.preflights as number);
  }
  const api = await page.call<{ eventSourceSend: string; webSocketSend: string }>('apiShape');
  return {
    counts: { samples: rtts.length, failed, warmupFailed: warmup.failed, tcpConnections: tap.connections.length },
    bytes: { perRoundTrip: round(wire / SAMPLES, 1), timedTotal: wire },
    facts: {
      rttMs: distribution(rtts) as unknown as Json,
      ...facts,
      eventSourceSend: api.eventSourceSend,
      webSocketSend: api.webSocketSend,
      upstream: transport === 'sse' ? 'fetch POST /sse/ping' : transport === 'ws' ? 'ws message' : 'socket.io emit with ack',
    },
  };
}

async function nodeRoundTrips(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const client = createClient(transport, { url: server.url, reconnect: false });
  c.defer(() => client.close());
  await client.connect();
  for (let i = 0; i < WARMUP; i++) await client.ping();
  const before = server.stats.snapshot();
  const rtts: number[] = [];
  for (let i = 0; i < SAMPLES; i++) rtts.push((await client.ping()).rttMs);
  const after = server.stats.snapshot();
  const wire = after.bytesRead + after.bytesWritten - before.bytesRead - before.bytesWritten;
  return {
    counts: { samples: rtts.length },
    bytes: { perRoundTrip: round(wire / rtts.length, 1), timedTotal: wire },
    facts: {
      rttMs: distribution(rtts) as unknown as Json,
      client: `clients/${transport}.ts`,
      bytesFrom: 'server socket counters (read + written)',
    },
  };
}

export const direction: ScenarioSpec = {
  name: 'direction',
  title: 'Client-to-server round trips: ws ping/pong, socket.io ack, SSE + fetch POST',
  cases: [
    ...(['ws', 'socketio', 'sse'] as const).map(
      (transport): CaseSpec => ({
        transport,
        case: 'round-trips',
        client: 'chromium',
        title: `Chromium: ${SAMPLES} sequential round trips, ${transport === 'sse' ? 'fetch POST /sse/ping beside an open EventSource' : transport === 'ws' ? 'WebSocket ping message and pong' : 'socket.io emit with ack'}`,
        claims: ['sse-one-way', 'ws-tcp-sse-http'],
        setup: { warmup: WARMUP, samples: SAMPLES, sequential: true, tripTimeoutMs: TRIP_TIMEOUT_MS },
        run: (c) => browserRoundTrips(c, transport),
      }),
    ),
    ...(['ws', 'socketio', 'sse'] as const).map(
      (transport): CaseSpec => ({
        transport,
        case: 'node-round-trips',
        client: 'node',
        title: `Node client ping(): ${SAMPLES} sequential round trips`,
        claims: ['sse-one-way'],
        setup: { warmup: WARMUP, samples: SAMPLES, sequential: true },
        run: (c) => nodeRoundTrips(c, transport),
      }),
    ),
  ],
};
