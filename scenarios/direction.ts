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
 * SSE over HTTP/2: the tap relays TLS it cannot read, so its byte counts include the TLS records
 * and the handshake facts come from the browser's network log instead (status, protocol,
 * content type, and which connection carried the stream and each warm-up POST: HTTP/2 multiplexes
 * them on one), recorded up to the end of the warm-up and stopped before the timed round trips,
 * so DevTools does not weigh on them. Every transport with an upstream path takes part; its
 * browser API picks the channel.
 *
 * Samples: WARMUP + SAMPLES per case, one connection, no concurrent load. Times are coarsened to
 * 0.1 ms by Chromium (page not cross-origin isolated) and share 2 cores with the servers: use the
 * distribution's shape, not its digits. Invalidated by other load on the machine.
 */
import { createClient } from '../clients/index.ts';
import type { TransportSpec } from '../servers/transports.ts';
import {
  type BrowserApi,
  endpointPath,
  httpScheme,
  labTrust,
  NODE_CLIENTS,
  type NodeTransport,
  spec,
  tlsOnly,
  transportsWhere,
} from './capabilities.ts';
import type { Tap } from './fixtures/tap.ts';
import { portOf, until, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { distribution, round } from './measure.ts';
import { NetworkLog, networkAccount } from './network.ts';
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

const TLS_HIDES = 'TLS hides the requests from the tap; its bytes include the TLS records';

/**
 * Over TLS the tap reads nothing: the browser's account of the stream and the warm-up POSTs beside
 * it, once it has reported every answered POST (its events may trail the page's own by a moment).
 */
async function browserAccount(network: NetworkLog, path: string, posts: number): Promise<Record<string, Json>> {
  const answered = () => network.requests(`${path}/ping`).filter((r) => r.method === 'POST' && r.status !== undefined);
  await until(() => answered().length >= posts, 2000);
  const stream = network.requests(path).find((r) => r.path === path);
  const pings = network.requests(`${path}/ping`);
  return {
    requestLine: stream ? `${stream.method} ${stream.path}` : null,
    responseStatus: stream?.status ?? null,
    protocol: stream?.protocol ?? null,
    responseContentType: stream?.contentType ?? null,
    preflights: pings.filter((r) => r.type === 'Preflight').length,
    warmupPingRequests: pings.filter((r) => r.method === 'POST').length,
    warmupPostsOnTheStreamConnection:
      stream?.connectionId === undefined ? null : answered().filter((r) => r.connectionId === stream.connectionId).length,
    requestsFrom: `${networkAccount(network.engine)} during the warm-up (${TLS_HIDES})`,
  };
}

/** How a page sends upstream with each browser API: lab-page.js's pinger kind. */
const PINGER: Record<BrowserApi, string> = { EventSource: 'sse-fetch', WebSocket: 'ws', 'socket.io': 'socketio' };
/** How each upstream method reads in a record. */
const UPSTREAM: Record<NonNullable<TransportSpec['upstream']>, string> = {
  post: 'fetch POST /sse/ping',
  message: 'ws message',
  ack: 'socket.io emit with ack',
};

async function browserRoundTrips(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, opaque: tlsOnly(transport) });
  const page = await c.page();
  const network = tlsOnly(transport) ? await NetworkLog.watch(page, tap.url('https', '')) : undefined;
  const browserApi = spec(transport).browserApi!;
  const path = endpointPath(server.url);
  const facts: Record<string, Json> = {};
  if (browserApi === 'EventSource') {
    // The stream first, so the tap's first connection is the EventSource's.
    await page.call('eventSource', 'stream', tap.url(httpScheme(transport), path));
    await page.waitForEvents('stream', 'open', 1, 5000);
    if (!network) Object.assign(facts, handshake(tap));
  }
  const url =
    browserApi === 'WebSocket'
      ? tap.url('ws', path)
      : browserApi === 'socket.io'
        ? tap.url('http', '')
        : tap.url(httpScheme(transport), `${path}/ping`);
  await page.call('pinger', 'p', PINGER[browserApi], url, TRIP_TIMEOUT_MS);
  const warmup = await page.call<{ rtts: number[]; failed: number }>('ping', 'p', WARMUP);
  if (network) {
    Object.assign(facts, await browserAccount(network, path, WARMUP - warmup.failed));
    await network.stop();
  }
  const before = tapBytes(tap);
  const { rtts, failed } = await page.call<{ rtts: number[]; failed: number }>('ping', 'p', SAMPLES);
  const wire = tapBytes(tap) - before;
  // Over TLS Chromium's account ended with the warm-up; the tap still counts the connections (one: the POSTs stayed on it).
  if (!network && browserApi !== 'EventSource') Object.assign(facts, handshake(tap));
  else if (!network) {
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
      upstream: UPSTREAM[spec(transport).upstream!],
    },
  };
}

async function nodeRoundTrips(c: CaseContext, transport: NodeTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const client = createClient(transport, { url: server.url, reconnect: false, ...(await labTrust(transport)) });
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
      bytesFrom: `server socket counters (read + written${tlsOnly(transport) ? ', TLS records included' : ''})`,
    },
  };
}

/** Every browser transport with an upstream path, in the order the chart reads best: the two-way ones first. */
const TWO_WAY_FIRST = transportsWhere((s) => s.upstream !== null).sort(
  (a, b) => Number(spec(a).upstream === 'post') - Number(spec(b).upstream === 'post'),
);

export const direction: ScenarioSpec = {
  name: 'direction',
  title: 'Client-to-server round trips: ws ping/pong, socket.io ack, SSE + fetch POST',
  cases: [
    ...TWO_WAY_FIRST.map(
      (transport): CaseSpec => ({
        transport,
        case: 'round-trips',
        client: 'browser',
        title:
          `Browser: ${SAMPLES} sequential round trips, ` +
          (spec(transport).upstream === 'post'
            ? `fetch POST /sse/ping beside an open EventSource${spec(transport).http === '2' ? ' (HTTP/2)' : ''}`
            : spec(transport).upstream === 'message'
              ? 'WebSocket ping message and pong'
              : 'socket.io emit with ack'),
        claims: ['sse-one-way', 'ws-tcp-sse-http'],
        setup: { warmup: WARMUP, samples: SAMPLES, sequential: true, tripTimeoutMs: TRIP_TIMEOUT_MS },
        run: (c) => browserRoundTrips(c, transport),
      }),
    ),
    ...TWO_WAY_FIRST.filter((t): t is NodeTransport => NODE_CLIENTS.includes(t as NodeTransport)).map(
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
