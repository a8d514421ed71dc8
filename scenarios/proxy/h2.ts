/**
 * Scenario `proxy-h2`: eight EventSources to one origin when nginx terminates TLS and speaks
 * HTTP/2 to the browser (`h2`), against the same eight over HTTP/1.1 (`tuned`).
 *
 * Method (connection-limit.ts's, through nginx). The browser (each engine) -> tap -> nginx -> lab SSE server. The
 * tap relays TCP and counts the connections Chromium opened to nginx (under TLS it reads nothing
 * else: `opaque`). The page opens ASKED EventSources to the tap, waits SETTLE_MS, counts those that
 * fired `open`, then fetches /stats on the same origin with a FETCH_TIMEOUT_MS timeout. Each figure
 * names its witness: the page's opens; Chromium's DevTools Network account (the protocol ALPN chose
 * and the connection id of each request); the tap's TCP connections (what nginx accepted); the
 * server's /stats (streams it holds, and TCP connections from nginx); and, once the browser context
 * is closed so nginx ends every request, nginx's access log (one line per request it received,
 * whose request line names the HTTP version the browser spoke to it).
 * The tap may count more connections than carried streams: Chromium can open spare sockets while
 * the first TLS handshake is under way; `bytesToBrowserPerConnection` shows which ones were used.
 *
 * Samples: one browser context per case. Invalidated by: nothing timing-related as long as
 * SETTLE_MS covers TLS and stream setup on loopback.
 */
import type { ProxyProfile } from '../../servers/proxy/profiles.ts';
import { portOf, sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from '../harness.ts';
import { NetworkLog, networkAccount } from '../network.ts';
import type { Observed } from '../types.ts';
import { requestLines } from './access-log.ts';

const ASKED = 8;
const SETTLE_MS = 1500;
const FETCH_TIMEOUT_MS = 1500;
const LOG_WAIT_MS = 3000;

async function eightStreams(c: CaseContext, profile: ProxyProfile): Promise<Observed> {
  const server = await c.lab('sse');
  const proxy = await c.proxy(server, { profile });
  const tls = proxy.origin.startsWith('https:');
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(proxy.url) }, opaque: tls });
  const scheme = tls ? 'https' : 'http';
  const page = await c.page();
  const network = await NetworkLog.watch(page, tap.url(scheme, ''));
  for (let i = 1; i <= ASKED; i++) await page.call('eventSource', `es${i}`, tap.url(scheme, '/sse'));
  await sleep(SETTLE_MS);
  const events = await page.events();
  const opened = new Set(events.filter((e) => e.type === 'open').map((e) => e.source)).size;
  const held = server.stats.snapshot();
  const fetched = await page.call<{ status?: number; error?: string }>('probeFetch', tap.url(scheme, '/stats'), FETCH_TIMEOUT_MS);
  await until(() => network.requests('/stats').some((r) => r.status !== undefined || r.failed !== undefined), 1000);
  const streams = network.connections('/sse');
  // Read before the context closes: closing frees the pool, and queued requests may start on their way out.
  const connections = tap.connections.map((x) => x.bytesDown);
  // nginx logs a request when it ends: close the context, then read one line per request it had.
  await page.context.close();
  const logged = async () => requestLines(await proxy.accessLog(), '/sse');
  await until(async () => (await logged()).length >= held.connections, LOG_WAIT_MS);
  const lines = await logged();
  return {
    events: [...events.filter((e) => e.type === 'open' || e.type === 'error'), ...network.events()],
    counts: {
      asked: ASKED,
      opened,
      browserConnections: connections.length,
      connectionsCarryingStreams: streams.length,
      serverStreams: held.connections,
      serverSockets: held.sockets,
      accessLogStreamRequests: lines.length,
    },
    server: { connections: held.sockets, counters: { streams: held.connections, sockets: held.sockets } },
    facts: {
      protocols: [...new Set(network.requests('/sse').flatMap((r) => (r.protocol ? [r.protocol] : [])))],
      streamsPerConnection: streams.map((x) => x.requests),
      // Chromium may open several sockets while the first handshake is under way; the bytes show which were used.
      bytesToBrowserPerConnection: connections,
      accessLogProtocols: [...new Set(lines.map((l) => l.split(' ').at(-1)!))],
      sameOriginFetchCompleted: fetched.status !== undefined,
      sameOriginFetch: fetched.status ?? fetched.error ?? null,
      requestsFrom:
        `page (opens); ${networkAccount(c.engine)}; TCP tap before nginx (connections); ` +
        'server /stats (streams, sockets from nginx); nginx access log (request lines)',
    },
  };
}

const PROFILES: { profile: ProxyProfile; what: string }[] = [
  { profile: 'h2', what: 'TLS and HTTP/2 at nginx' },
  { profile: 'tuned', what: 'HTTP/1.1 at nginx' },
];

export const proxyH2: ScenarioSpec = {
  name: 'proxy-h2',
  title: 'Eight EventSources to one origin through nginx: HTTP/2 at the proxy against HTTP/1.1',
  cases: PROFILES.map(
    ({ profile, what }): CaseSpec => ({
      transport: 'sse',
      case: `eventsources-${profile}`,
      client: 'browser',
      title: `${ASKED} EventSources to one origin through nginx \`${profile}\` (${what}), then a fetch`,
      claims: ['sse-six-connections-per-origin'],
      setup: { profile, asked: ASKED, settleMs: SETTLE_MS, fetchTimeoutMs: FETCH_TIMEOUT_MS, behind: 'lab sse over HTTP/1.1' },
      run: (c) => eightStreams(c, profile),
    }),
  ),
};
