/**
 * Scenario `cross-origin`: a page on http://localhost:<page port> talks to servers on
 * http://localhost:<other port>: a different origin on the same site, as an app and its API on
 * different ports or subdomains usually are (so a SameSite=Lax cookie may go along).
 *
 * Method. SSE: the fixture server's /cors/<none|star|exact> routes send a stream (`retry: 300`,
 * one `hello` message) with no Access-Control-Allow-Origin, with `*`, or with the exact origin
 * plus Access-Control-Allow-Credentials; the page opens it with withCredentials false and true,
 * including article A's combination (`*` with credentials; its own server and client run in
 * scenario `articles`). WebSocket: the fixture's /ws-open (no Origin
 * check) and the lab ws server with the page origin on its allowlist and off it. socket.io: a
 * default server with no `cors` option (fixture) and the lab server, polling-first and
 * websocket-only. A cookie for `localhost` (SameSite=Lax) is set in the context first, so the
 * records show whether credentials went along. Each case watches for 1.5 s and records
 * what the browser allowed (open / message / error events, readyState), what the server saw
 * (Origin, Cookie, number of requests: did the browser retry?; for socket.io the most clients
 * connected at once) and the console's CORS message. socket.io clients reconnect every 300 ms
 * with randomizationFactor 0, so the retry count is not jittered.
 *
 * Every EventSource transport also meets the lab's own server with the page origin on its
 * allowlist (the exact origin reflected with Access-Control-Allow-Credentials) and off it (403
 * with no CORS header), with withCredentials false and true, one quote published once the stream
 * is open: for SSE over HTTP/2 these are its cross-origin cases (the fixture speaks plain
 * HTTP/1.1), from a page on https://localhost:<https page port>, since http://localhost is
 * cross-site to an https server and SameSite=Lax would keep the cookie back. Those cases read
 * the requests from the browser's network log (network.ts; TLS hides them from a tap): the headers it
 * sent (Origin, Cookie), whether it sent a CORS preflight (an EventSource GET should need none),
 * and the connection's protocol. Which cases a transport gets follows its registry entry.
 *
 * Samples: one connection per case. Invalidated by: nothing timing-related; a retry count is
 * the number of requests in the 1.5 s window (at retry 300 ms, up to ~5).
 */
import { EVENT_SOURCE, readableHttp1, spec, tlsOnly, transportsWhere } from './capabilities.ts';
import { startOpenSocketIo } from './fixtures/open-socketio.ts';
import {
  type CaseContext,
  type CaseSpec,
  type LabPage,
  type PageOrigin,
  portOf,
  type ScenarioSpec,
  sleep,
  viaLocalhost,
} from './harness.ts';
import { countOf, publish } from './measure.ts';
import { NetworkLog, networkAccount } from './network.ts';
import type { CorsMode } from './fixtures/http-fixtures.ts';
import type { Json, Observed, ScenarioTransport, TimedEvent } from './types.ts';

const WATCH_MS = 1500;
/** After the quote (or the failure), how long the allowlist cases keep watching for a retry. */
const RETRY_WATCH_MS = 700;

/** A context whose cookie jar holds lab=1 for localhost, so "were credentials sent?" has an answer. */
async function pageWithCookie(c: CaseContext, origin: PageOrigin = 'same-site'): Promise<LabPage> {
  const page = await c.page({ origin });
  await page.context.setCookie({ name: 'lab', value: 'cookie-for-localhost', domain: 'localhost', path: '/', sameSite: 'Lax' });
  return page;
}

function summarize(events: TimedEvent[]): Record<string, number> {
  const count = (type: string) => countOf(events, type);
  return { opens: count('open'), messages: count('message'), errors: count('error'), closes: count('close') };
}

async function sseCors(c: CaseContext, mode: CorsMode, withCredentials: boolean): Promise<Observed> {
  const fixture = await c.fixture();
  const page = await pageWithCookie(c);
  await page.call('eventSource', 'es', fixture.url('http', `/cors/${mode}`), { init: { withCredentials } });
  await sleep(WATCH_MS);
  const events = await page.events('es');
  const requests = fixture.requestsTo('/cors/');
  const counts = summarize(events);
  return {
    events,
    readyState: await page.readyState('es'),
    counts: { ...counts, requests: requests.length },
    server: { requests },
    facts: {
      delivered: counts.messages > 0,
      originSent: requests[0]?.headers.origin ?? null,
      cookieSent: requests.some((r) => r.headers.cookie !== undefined),
      retried: requests.length > 1,
      console: page.console.map((e) => e.detail!.text!) as Json,
    },
  };
}

/**
 * The lab server's allowlist: the page origin on it or off it, withCredentials false or true. Once
 * the stream is open one quote is published, so `delivered` means a message got through.
 */
async function labAllowlist(c: CaseContext, transport: ScenarioTransport, allowed: boolean, withCredentials: boolean): Promise<Observed> {
  const server = await c.lab(transport, allowed ? {} : { allowOrigins: ['http://example.test'] });
  const page = await pageWithCookie(c, sameSiteFor(transport));
  const network = await NetworkLog.watch(page, viaLocalhost(server.url));
  await page.call('eventSource', 'es', viaLocalhost(server.url), { init: { withCredentials } });
  if (await page.waitForEvents('es', 'open', 1, WATCH_MS)) {
    publish(server, 1);
    await page.waitForEvents('es', 'quote', 1, WATCH_MS);
  }
  await sleep(RETRY_WATCH_MS); // long enough for a retry at the server's 300 ms, had the browser one to make
  const events = await page.events('es');
  const sent = network.requests(new URL(server.url).pathname);
  const gets = sent.filter((r) => r.type !== 'Preflight');
  const quotes = countOf(events, 'quote');
  return {
    events: [...events, ...network.events()],
    readyState: await page.readyState('es'),
    counts: { ...summarize(events), quotes, requests: gets.length, preflights: sent.length - gets.length },
    server: { counters: { refused: server.stats.refused, peakStreams: server.stats.peakConnections } },
    facts: {
      delivered: quotes > 0,
      originSent: gets[0]?.headers.origin ?? null,
      cookieSent: gets.some((r) => r.headers.cookie !== undefined),
      retried: gets.length > 1,
      statusSeen: gets[0]?.status ?? null,
      protocol: gets[0]?.protocol ?? null,
      requestsFrom: networkAccount(c.engine),
      console: page.console.map((e) => e.detail!.text!) as Json,
    },
  };
}

async function wsOrigin(c: CaseContext, transport: ScenarioTransport, server: 'open' | 'allowed' | 'refused'): Promise<Observed> {
  const page = await pageWithCookie(c);
  let url: string;
  let seen: () => { requests: Observed['server']; originSeen: string | null; cookieSeen: boolean };
  if (server === 'open') {
    const fixture = await c.fixture();
    url = fixture.url('ws', '/ws-open');
    seen = () => {
      const requests = fixture.requestsTo('/ws-open');
      return {
        requests: { requests },
        originSeen: requests[0]?.headers.origin ?? null,
        cookieSeen: requests.some((r) => r.headers.cookie !== undefined),
      };
    };
  } else {
    const lab = await c.lab(transport, server === 'allowed' ? {} : { allowOrigins: ['http://example.test'] });
    const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(lab.url) } });
    url = tap.url('ws', new URL(lab.url).pathname);
    seen = () => ({
      requests: { requests: tap.requests, counters: { refused: lab.stats.refused }, connections: tap.connections.length },
      originSeen: tap.requests[0]?.headers.origin ?? null,
      cookieSeen: tap.requests.some((r) => r.headers.cookie !== undefined),
    });
  }
  await page.call('webSocket', 'ws', url);
  await sleep(WATCH_MS);
  const events = await page.events('ws');
  const close = events.find((e) => e.type === 'close');
  const s = seen();
  return {
    events,
    readyState: await page.readyState('ws'),
    counts: summarize(events),
    server: s.requests,
    facts: {
      opened: events.some((e) => e.type === 'open'),
      originSeen: s.originSeen,
      cookieSeen: s.cookieSeen,
      closeCode: (close?.detail?.code as number) ?? null,
      console: page.console.map((e) => e.detail!.text!) as Json,
    },
  };
}

async function socketIoOrigin(
  c: CaseContext,
  transport: ScenarioTransport,
  server: 'default' | 'lab-allowed' | 'lab-refused',
  transports: ('polling' | 'websocket')[],
): Promise<Observed> {
  let port: number;
  // The same figure from either server: the most socket.io clients connected at once.
  let peakClients: () => number;
  if (server === 'default') {
    const open = await startOpenSocketIo();
    c.defer(() => open.close());
    port = open.port;
    peakClients = open.peakConnections;
  } else {
    const lab = await c.lab(transport, server === 'lab-allowed' ? {} : { allowOrigins: ['http://example.test'] });
    port = portOf(lab.url);
    peakClients = () => lab.stats.peakConnections;
  }
  const tap = await c.tap({ target: { host: '127.0.0.1', port } });
  const page = await pageWithCookie(c);
  const options = { transports, reconnectionDelay: 300, reconnectionDelayMax: 300, randomizationFactor: 0 };
  await page.call('socketIo', 'io', tap.url('http', ''), options);
  await sleep(WATCH_MS);
  const events = await page.events('io');
  const opens = events.filter((e) => e.type === 'open');
  return {
    events,
    counts: {
      ...summarize(events),
      reconnectAttempts: events.filter((e) => e.type === 'reconnect_attempt').length,
      requests: tap.requests.length,
      serverPeakClients: peakClients(),
    },
    server: { connections: tap.connections.length, requests: tap.requests.slice(0, 20) },
    facts: {
      connected: opens.length > 0,
      firstTransport: (opens[0]?.detail?.transport as string | undefined) ?? null,
      upgradedTo: (events.find((e) => e.type === 'upgrade')?.detail?.transport as string | undefined) ?? null,
      firstError: (events.find((e) => e.type === 'error')?.detail?.message as string | undefined) ?? null,
      pollingRequests: tap.requests.filter((r) => r.path.includes('transport=polling')).length,
      websocketUpgrades: tap.requests.filter((r) => r.headers.upgrade === 'websocket').length,
      originSeen: tap.requests[0]?.headers.origin ?? null,
      clientOptions: options as unknown as Json,
      console: page.console.slice(0, 5).map((e) => e.detail!.text!) as Json,
    },
  };
}

/** The page origin on the same site as a transport's server: https for a server that is TLS-only (the scheme is part of the site). */
const sameSiteFor = (transport: ScenarioTransport): PageOrigin => (tlsOnly(transport) ? 'https-same-site' : 'same-site');

const MODES: { mode: CorsMode; id: string; what: string }[] = [
  { mode: 'none', id: 'no-cors-header', what: 'no Access-Control-Allow-Origin' },
  { mode: 'star', id: 'acao-star', what: 'Access-Control-Allow-Origin: *' },
  { mode: 'exact', id: 'acao-exact', what: 'the exact origin + Allow-Credentials' },
];

function sseCase(transport: ScenarioTransport, mode: CorsMode, id: string, what: string, withCredentials: boolean): CaseSpec {
  const articleA = mode === 'star' && withCredentials;
  return {
    transport,
    case: withCredentials ? `${id}-credentials` : id,
    client: 'browser',
    title: `EventSource cross-origin, ${what}, withCredentials ${withCredentials}${articleA ? " (article A's headers)" : ''}`,
    claims: ['sse-needs-cors-headers'],
    setup: {
      cors: mode,
      withCredentials,
      retryMs: 300,
      watchMs: WATCH_MS,
      pageOrigin: 'http://localhost:<page port>',
      serverOrigin: 'http://localhost:<server port>',
      cookie: 'lab=...; SameSite=Lax',
    },
    run: (c) => sseCors(c, mode, withCredentials),
  };
}

/** The lab server's allowlist cases of one EventSource transport: on or off the list, without and with credentials. */
function allowlistCases(transport: ScenarioTransport): CaseSpec[] {
  const h2 = spec(transport).http === '2' ? ' over HTTP/2' : '';
  return [true, false].flatMap((allowed) =>
    [false, true].map(
      (withCredentials): CaseSpec => ({
        transport,
        case: `origin-${allowed ? 'allowed' : 'refused'}${withCredentials ? '-credentials' : ''}`,
        client: 'browser',
        title:
          `EventSource${h2} to the lab server ${allowed ? 'with the page origin on' : 'whose'} allowlist` +
          `${allowed ? '' : ' lacks the page origin'}, withCredentials ${withCredentials}`,
        claims: ['sse-needs-cors-headers'],
        setup: {
          server: `lab ${transport}`,
          allowOrigins: allowed ? 'page origin' : ['http://example.test'],
          withCredentials,
          watchMs: WATCH_MS,
          pageOrigin: `${tlsOnly(transport) ? 'https' : 'http'}://localhost:<page port>`,
          serverOrigin: `${tlsOnly(transport) ? 'https' : 'http'}://localhost:<server port>`,
          cookie: 'lab=...; SameSite=Lax',
        },
        run: (c) => labAllowlist(c, transport, allowed, withCredentials),
      }),
    ),
  );
}

/** Who meets which servers: the fixture's CORS modes need plain HTTP/1.1; the WebSocket and socket.io cases their browser API. */
const FIXTURE_SSE = EVENT_SOURCE.filter((t) => readableHttp1(spec(t)));
const WEB_SOCKET = transportsWhere((s) => s.browserApi === 'WebSocket');
const SOCKET_IO = transportsWhere((s) => s.browserApi === 'socket.io');

export const crossOrigin: ScenarioSpec = {
  name: 'cross-origin',
  title: 'Page on one origin, servers on another: CORS for SSE, Origin for WebSocket, both socket.io transports',
  cases: [
    // The fixture's CORS modes (plain HTTP/1.1; article A's own server is in scenario `articles`), then the lab server's
    // allowlist on every EventSource transport.
    ...FIXTURE_SSE.flatMap((t) =>
      MODES.flatMap(({ mode, id, what }) => [sseCase(t, mode, id, what, false), sseCase(t, mode, id, what, true)]),
    ),
    ...EVENT_SOURCE.flatMap(allowlistCases),
    ...WEB_SOCKET.flatMap((transport): CaseSpec[] => [
      {
        transport,
        case: 'origin-unchecked',
        client: 'browser',
        title: 'WebSocket to a server that checks no Origin and sends no CORS header',
        claims: ['ws-ignores-cross-origin'],
        setup: { server: 'fixture /ws-open', serverChecksOrigin: false, watchMs: WATCH_MS },
        run: (c) => wsOrigin(c, transport, 'open'),
      },
      {
        transport,
        case: 'origin-allowed',
        client: 'browser',
        title: 'WebSocket to the lab server with the page origin on its allowlist',
        claims: ['ws-ignores-cross-origin'],
        setup: { server: 'lab ws', serverChecksOrigin: true, allowOrigins: 'page origin', watchMs: WATCH_MS },
        run: (c) => wsOrigin(c, transport, 'allowed'),
      },
      {
        transport,
        case: 'origin-refused',
        client: 'browser',
        title: 'WebSocket to the lab server whose allowlist lacks the page origin',
        claims: ['ws-ignores-cross-origin'],
        setup: { server: 'lab ws', serverChecksOrigin: true, allowOrigins: ['http://example.test'], watchMs: WATCH_MS },
        run: (c) => wsOrigin(c, transport, 'refused'),
      },
    ]),
    ...SOCKET_IO.flatMap((transport): CaseSpec[] => [
      {
        transport,
        case: 'polling-first-no-cors',
        client: 'browser',
        title: 'socket.io polling-first to a default server (no cors option)',
        claims: ['ws-ignores-cross-origin', 'sse-needs-cors-headers'],
        setup: { server: 'fixture, socket.io defaults', randomizationFactor: 0, transports: ['polling', 'websocket'], watchMs: WATCH_MS },
        run: (c) => socketIoOrigin(c, transport, 'default', ['polling', 'websocket']),
      },
      {
        transport,
        case: 'websocket-only-no-cors',
        client: 'browser',
        title: 'socket.io websocket-only to the same default server',
        claims: ['ws-ignores-cross-origin'],
        setup: { server: 'fixture, socket.io defaults', randomizationFactor: 0, transports: ['websocket'], watchMs: WATCH_MS },
        run: (c) => socketIoOrigin(c, transport, 'default', ['websocket']),
      },
      {
        transport,
        case: 'polling-first-allowed',
        client: 'browser',
        title: 'socket.io polling-first to the lab server (CORS allowlist with the page origin)',
        claims: ['ws-ignores-cross-origin'],
        setup: { server: 'lab socket.io', randomizationFactor: 0, transports: ['polling', 'websocket'], watchMs: WATCH_MS },
        run: (c) => socketIoOrigin(c, transport, 'lab-allowed', ['polling', 'websocket']),
      },
      {
        transport,
        case: 'websocket-only-refused',
        client: 'browser',
        title: 'socket.io websocket-only to the lab server whose allowlist lacks the page origin',
        claims: ['ws-ignores-cross-origin'],
        setup: {
          server: 'lab socket.io',
          allowOrigins: ['http://example.test'],
          randomizationFactor: 0,
          transports: ['websocket'],
          watchMs: WATCH_MS,
        },
        run: (c) => socketIoOrigin(c, transport, 'lab-refused', ['websocket']),
      },
    ]),
  ],
};
