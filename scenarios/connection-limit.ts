/**
 * Scenario `connection-limit`: how many EventSources Chromium keeps open to one HTTP/1.1 origin,
 * what that does to the next request, whether WebSockets count, and HTTP/2 for comparison.
 *
 * Method. The fixture server's /stream route holds a stream open; the page opens ASKED
 * EventSources to it (all in one browser context, whose connection pool is Chromium's), waits
 * SETTLE_MS, and counts those that fired `open` and the streams the server holds. Then: a fetch
 * to the same origin with a FETCH_TIMEOUT_MS timeout, a fetch to a second fixture server (another
 * port, another origin), a WebSocket to the same host and port, an EventSource from a second tab
 * in the same context, and finally one EventSource closed to see whether a queued one opens.
 * HTTP/2: the same count against the node:http2 fixture (TLS, the lab certificate) with the
 * number of TCP connections (sessions), the protocol ALPN chose on each, and the streams the server saw. Eight WebSockets on their own
 * show the WebSocket side.
 *
 * Samples: one browser context per case. Invalidated by: nothing timing-related as long as
 * SETTLE_MS covers connection setup on loopback (the records show the server's own counts too).
 */
import { startH2Server } from './fixtures/h2-server.ts';
import { sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { round } from './measure.ts';
import type { Json, Observed } from './types.ts';

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
  const tab = await page.context.newPage();
  await tab.goto(`${c.h.pageOrigin}/`);
  await tab.evaluate(
    (url) => (window as unknown as { lab: { eventSource(n: string, u: string): void } }).lab.eventSource('tab2', url),
    fixture.url('http', '/stream?events=1'),
  );
  await sleep(SETTLE_MS);
  const tabOpened = await tab.evaluate(
    () => (window as unknown as { lab: { log: { type: string }[] } }).lab.log.filter((e) => e.type === 'open').length,
  );
  const closedAt = c.elapsed();
  await page.call('close', 'es1');
  await sleep(SETTLE_MS);
  const events = await page.events();
  const wsOpened = events.some((e) => e.source === 'ws' && e.type === 'open');
  const tabOpenedAfterClose = await tab.evaluate(
    () => (window as unknown as { lab: { log: { type: string }[] } }).lab.log.filter((e) => e.type === 'open').length,
  );
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

async function http2(c: CaseContext): Promise<Observed> {
  const server = await startH2Server();
  c.defer(() => server.close());
  const page = await c.page();
  for (let i = 1; i <= ASKED; i++) await page.call('eventSource', `es${i}`, server.url('/stream'));
  await sleep(SETTLE_MS);
  const events = await page.events();
  const fetched = await page.call<FetchProbe>('probeFetch', server.url('/ping'), FETCH_TIMEOUT_MS);
  return {
    events: events.filter((e) => e.type !== 'message'),
    counts: {
      opened: opened(events, 'es'),
      serverStreams: server.peakOpenStreams,
      serverSessions: server.sessions,
      sessionsCarryingStreams: server.streamsPerSession.filter((n) => n > 0).length,
    },
    facts: {
      alpnProtocols: server.alpnProtocols,
      streamsPerSession: server.streamsPerSession,
      sameOriginFetch: probe(fetched),
      sameOriginFetchCompleted: fetched.status !== undefined,
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
    {
      transport: 'sse',
      case: 'http1-eventsources',
      client: 'chromium',
      title: `${ASKED} EventSources to one HTTP/1.1 origin, then a fetch, a WebSocket and a second tab`,
      claims: CLAIMS,
      setup: { asked: ASKED, protocol: 'HTTP/1.1', settleMs: SETTLE_MS, fetchTimeoutMs: FETCH_TIMEOUT_MS },
      run: http1,
    },
    {
      transport: 'sse',
      case: 'http2-eventsources',
      client: 'chromium',
      title: `${ASKED} EventSources to one HTTP/2 origin`,
      claims: CLAIMS,
      setup: {
        asked: ASKED,
        protocol: 'HTTP/2 (TLS; the record shows what ALPN chose)',
        settleMs: SETTLE_MS,
        fetchTimeoutMs: FETCH_TIMEOUT_MS,
      },
      run: http2,
    },
    {
      transport: 'ws',
      case: 'websockets',
      client: 'chromium',
      title: `${ASKED} WebSockets to one host and port, then a fetch`,
      claims: CLAIMS,
      setup: { asked: ASKED, protocol: 'WebSocket over HTTP/1.1', settleMs: SETTLE_MS, fetchTimeoutMs: FETCH_TIMEOUT_MS },
      run: websockets,
    },
  ],
};
