/**
 * Scenario `connection-limit`: how many EventSources a browser keeps open to one HTTP/1.1 origin,
 * what that does to the next request, whether WebSockets count, and HTTP/2 for comparison.
 *
 * Method. The fixture server's /stream route holds a stream open; the page opens ASKED
 * EventSources to it (all in one browser context, whose connection pool is the engine's), waits
 * SETTLE_MS, and counts those that fired `open` and the streams the server holds. Then: a fetch
 * to the same origin with a FETCH_TIMEOUT_MS timeout, a fetch to a second fixture server (another
 * port, another origin), a WebSocket to the same host and port, an EventSource from a second tab
 * in the same context, and finally one EventSource closed to see whether a queued one opens.
 * HTTP/2: every EventSource transport on HTTP/2 (sse-h2: the lab's own server, TLS with the lab
 * certificate) gets the same ASKED EventSources through a TCP relay, then a fetch. TLS hides
 * the requests from the relay, so each figure says whose account it is: the page's opens; the
 * streams the server holds (its /stats `connections`); the TCP connections the relay carried
 * (one TLS session each); and the browser's own report of every request (Chromium's DevTools Network: the
 * protocol ALPN chose and the connection id that carried it). Eight WebSockets on their own
 * show the WebSocket side. Which case a transport gets follows its registry entry: the HTTP/1.1
 * case is the fixture's (plain HTTP/1.1), the HTTP/2 case needs `http: '2'`, the WebSocket case
 * `browserApi: 'WebSocket'`.
 *
 * Samples: one browser context per case. Invalidated by: nothing timing-related as long as
 * SETTLE_MS covers connection setup on loopback (the records show the server's own counts too).
 */
import { EVENT_SOURCE, endpointPath, readableHttp1, spec, transportsWhere } from './capabilities.ts';
import { portOf, sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { round } from './measure.ts';
import { NetworkLog, networkAccount } from './network.ts';
import type { Json, Observed, ScenarioTransport } from './types.ts';

const ASKED = 8;
const SETTLE_MS = 1500;
const FETCH_TIMEOUT_MS = 1500;

interface FetchProbe {
  status?: number;
  error?: string;
  ms: number;
}

const probe = (p: FetchProbe): Json => ({ ...p, ms: round(p.ms) });

function opened(events: { type: string; source: string }[], prefix: string): number {
  return new Set(events.filter((e) => e.type === 'open' && e.source.startsWith(prefix)).map((e) => e.source)).size;
}

async function http1(c: CaseContext): Promise<Observed> {
  const fixture = await c.fixture();
  const other = await c.fixture();
  const page = await c.page();
  for (let i = 1; i <= ASKED; i++) await page.call('eventSource', `es${i}`, fixture.url('http', '/stream?events=1'));
  await sleep(SETTLE_MS);
  const openedFirst = opened(await page.events(), 'es');
  const streamsFirst = fixture.openStreams;
  const sameOrigin = await page.call<FetchProbe>('probeFetch', fixture.url('http', '/ping'), FETCH_TIMEOUT_MS);
  const otherOrigin = await page.call<FetchProbe>('probeFetch', other.url('http', '/ping'), FETCH_TIMEOUT_MS);
  await page.call('webSocket', 'ws', fixture.url('ws', '/ws-open'));
  const tab = await page.tab(`${c.h.pageOrigin}/`);
  await tab.call('eventSource', 'tab2', fixture.url('http', '/stream?events=1'));
  await sleep(SETTLE_MS);
  const tabOpens = async () => (await tab.events('tab2')).filter((e) => e.type === 'open').length;
  const tabOpened = await tabOpens();
  const closedAt = c.elapsed();
  await page.call('close', 'es1');
  await sleep(SETTLE_MS);
  const events = await page.events();
  const wsOpened = events.some((e) => e.source === 'ws' && e.type === 'open');
  const tabOpenedAfterClose = await tabOpens();
  const openedAfterClose = events.filter((e) => e.type === 'open' && e.t > closedAt).map((e) => e.source);
  if (tabOpenedAfterClose > tabOpened) openedAfterClose.push('tab2');
  return {
    events: events.filter((e) => e.type !== 'message'),
    counts: {
      opened: openedFirst,
      serverStreams: streamsFirst,
      serverConnections: fixture.connections,
      secondTabOpened: tabOpened,
      openedAfterClosingOne: openedAfterClose.length,
    },
    server: { connections: fixture.connections, requests: fixture.requests.slice(0, 20) },
    facts: {
      sameOriginFetch: probe(sameOrigin),
      sameOriginFetchCompleted: sameOrigin.status !== undefined,
      otherOriginFetch: probe(otherOrigin),
      whatOpenedAfterClosingOne: openedAfterClose,
      websocketSameHostPortOpened: wsOpened,
      secondTabEventSourceOpened: tabOpened > 0,
    },
  };
}

/** The lab's HTTP/2 server behind a TCP relay: ASKED EventSources, then a fetch of its /stats (the page origin is on its allowlist). */
async function http2(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const relay = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, opaque: true });
  const page = await c.page();
  const network = await NetworkLog.watch(page, relay.url('https', ''));
  const path = endpointPath(server.url);
  for (let i = 1; i <= ASKED; i++) await page.call('eventSource', `es${i}`, relay.url('https', path));
  await sleep(SETTLE_MS);
  const events = await page.events();
  const held = server.stats.snapshot();
  const fetched = await page.call<FetchProbe>('probeFetch', relay.url('https', '/stats'), FETCH_TIMEOUT_MS);
  // Chromium's report of the fetch's response may trail the page's own by a moment.
  await until(() => network.requests('/stats').some((r) => r.status !== undefined || r.failed !== undefined), 1000);
  // Chromium's account: which connection carried each stream, and what ALPN chose on it.
  const carrying = network.connections(path);
  return {
    events: [...events.filter((e) => e.type !== 'message'), ...network.events()],
    counts: {
      opened: opened(events, 'es'),
      serverStreams: held.connections,
      serverSessions: relay.connections.length,
      sessionsCarryingStreams: carrying.length,
    },
    server: { connections: relay.connections.length, counters: { streams: held.connections, sockets: held.sockets } },
    facts: {
      alpnProtocols: network.connections().map((x) => x.protocol),
      streamsPerSession: carrying.map((x) => x.requests),
      sameOriginFetch: probe(fetched),
      sameOriginFetchCompleted: fetched.status !== undefined,
      requestsFrom: `${networkAccount(c.engine)}; server /stats (streams); TCP relay (connections)`,
    },
  };
}

async function websockets(c: CaseContext): Promise<Observed> {
  const fixture = await c.fixture();
  const page = await c.page();
  for (let i = 1; i <= ASKED; i++) await page.call('webSocket', `ws${i}`, fixture.url('ws', '/ws-open'));
  await sleep(SETTLE_MS);
  const events = await page.events();
  const fetched = await page.call<FetchProbe>('probeFetch', fixture.url('http', '/ping'), FETCH_TIMEOUT_MS);
  return {
    events: events.filter((e) => e.type !== 'message'),
    counts: { opened: opened(events, 'ws'), serverConnections: fixture.connections },
    facts: { sameOriginFetch: probe(fetched), sameOriginFetchCompleted: fetched.status !== undefined },
  };
}

const CLAIMS: CaseSpec['claims'] = ['sse-six-connections-per-origin'];

export const connectionLimit: ScenarioSpec = {
  name: 'connection-limit',
  title: 'EventSources per HTTP/1.1 origin, the request after them, WebSockets, HTTP/2',
  cases: [
    ...EVENT_SOURCE.filter((t) => readableHttp1(spec(t))).map(
      (transport): CaseSpec => ({
        transport,
        case: 'http1-eventsources',
        client: 'browser',
        title: `${ASKED} EventSources to one HTTP/1.1 origin, then a fetch, a WebSocket and a second tab`,
        claims: CLAIMS,
        setup: { asked: ASKED, protocol: 'HTTP/1.1', server: 'fixture /stream', settleMs: SETTLE_MS, fetchTimeoutMs: FETCH_TIMEOUT_MS },
        run: http1,
      }),
    ),
    ...EVENT_SOURCE.filter((t) => spec(t).http === '2').map(
      (transport): CaseSpec => ({
        transport,
        case: 'http2-eventsources',
        client: 'browser',
        title: `${ASKED} EventSources to the lab's HTTP/2 server (one origin), then a fetch`,
        claims: CLAIMS,
        setup: {
          asked: ASKED,
          protocol: 'HTTP/2 (TLS, lab certificate; the record shows what ALPN chose)',
          server: `lab ${transport} behind a TCP relay`,
          settleMs: SETTLE_MS,
          fetchTimeoutMs: FETCH_TIMEOUT_MS,
        },
        run: (c) => http2(c, transport),
      }),
    ),
    ...transportsWhere((s) => s.browserApi === 'WebSocket').map(
      (transport): CaseSpec => ({
        transport,
        case: 'websockets',
        client: 'browser',
        title: `${ASKED} WebSockets to one host and port, then a fetch`,
        claims: CLAIMS,
        setup: { asked: ASKED, protocol: 'WebSocket over HTTP/1.1', settleMs: SETTLE_MS, fetchTimeoutMs: FETCH_TIMEOUT_MS },
        run: websockets,
      }),
    ),
  ],
};
