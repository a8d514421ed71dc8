/**
 * Scenario `proxy-auth`: the ways a browser client can send a credential with a stream, through
 * nginx's `tuned` profile, and what each leaves behind.
 *
 * Method. The browser (each engine) -> nginx (`tuned`, access log in nginx's `combined` format) -> auth-server.ts,
 * which checks nothing and records every request's method, path and query, Cookie and
 * Authorization headers, and each WebSocket's first message. The page is on
 * http://localhost:<page port>, nginx on http://localhost:<its port>: cross-origin, same site, so a
 * SameSite=Lax cookie for localhost goes along when the client asks for credentials (as in
 * cross-origin.ts). The credential is the string SECRET in every case:
 *   SSE: a cookie (EventSource withCredentials), a `?token=` query parameter (EventSource), an
 *        `Authorization: Bearer` header (event-source-polyfill's `headers`: a native EventSource
 *        cannot set one);
 *   WebSocket: a cookie (sent with the upgrade), a `?token=` query parameter, a first message
 *        (the browser's WebSocket cannot set headers either).
 * Once the page has the server's `hello` (or WAIT_MS passed), the browser context is closed so
 * nginx ends every request and writes its log line. Recorded: whether the secret appears anywhere
 * in the access log, its request lines, the CORS preflights (OPTIONS in the log and at the
 * server, and the headers a preflight asked for), and where the secret reached the server.
 *
 * The records bear on sse-needs-no-special-server: an SSE request carries a credential the ways any
 * HTTP request does, through a proxy that knows nothing of streams, while a WebSocket has a subset.
 *
 * Samples: one connection per case. Invalidated by: nothing timing-related.
 */
import { type CaseContext, type CaseSpec, type LabPage, type ScenarioSpec, until, viaLocalhost } from '../harness.ts';
import { countOf } from '../measure.ts';
import type { Json, Observed, ScenarioTransport } from '../types.ts';
import { startAuthServer } from './auth-server.ts';
import { requestLines } from './access-log.ts';

const SECRET = 'lab-secret-7f3a9c';
const WAIT_MS = 3000;
const LOG_WAIT_MS = 3000;

type Method = 'cookie' | 'query-token' | 'authorization-header' | 'first-message';

/** Opens the client of one method; the page logs `open` and the server's `hello` as `message` under `x`. */
async function open(page: LabPage, transport: ScenarioTransport, method: Method, origin: string): Promise<void> {
  const query = method === 'query-token' ? `?token=${SECRET}` : '';
  if (transport === 'sse') {
    const options =
      method === 'authorization-header'
        ? { polyfill: true, init: { headers: { Authorization: `Bearer ${SECRET}` } } }
        : { init: { withCredentials: method === 'cookie' } };
    await page.call('eventSource', 'x', `${origin}/sse${query}`, options);
  } else if (method === 'first-message') {
    // lab-page.js's WebSocket sends nothing; this one sends the credential as soon as it is open. (No named
    // functions inside: tsx would wrap them in a helper the page does not have.)
    await page.page.evaluate(
      ([url, token]) => {
        const lab = (window as unknown as { lab: { log: unknown[]; now(): number } }).lab;
        const socket = new WebSocket(url!);
        socket.onopen = () => {
          lab.log.push({ t: lab.now(), source: 'x', type: 'open', detail: {} });
          socket.send(JSON.stringify({ type: 'auth', token }));
        };
        socket.onmessage = (event) => lab.log.push({ t: lab.now(), source: 'x', type: 'message', detail: { data: String(event.data) } });
        socket.onclose = (event) => lab.log.push({ t: lab.now(), source: 'x', type: 'close', detail: { code: event.code } });
      },
      [`${origin.replace('http:', 'ws:')}/ws`, SECRET],
    );
  } else {
    await page.call('webSocket', 'x', `${origin.replace('http:', 'ws:')}/ws${query}`);
  }
}

async function authenticate(c: CaseContext, transport: ScenarioTransport, method: Method): Promise<Observed> {
  const server = await startAuthServer(c.t0);
  c.defer(() => server.close());
  const proxy = await c.proxy(server.target, { profile: 'tuned' });
  const page = await c.page({ origin: 'same-site' });
  if (method === 'cookie')
    await page.context.setCookie({ name: 'session', value: SECRET, domain: 'localhost', path: '/', sameSite: 'Lax' });
  await open(page, transport, method, viaLocalhost(proxy.origin));
  await page.waitForEvents('x', 'message', 1, WAIT_MS);
  const events = await page.events('x');
  // nginx writes a request's line when it ends: end them all, then read the log.
  await page.context.close();
  const logged = async () => requestLines(await proxy.accessLog());
  await until(async () => (await logged()).length >= server.requests.length, LOG_WAIT_MS);
  const log = await proxy.accessLog();
  const lines = requestLines(log);
  const preflights = server.requests.filter((r) => r.method === 'OPTIONS');
  const reached = [
    ...server.requests.flatMap((r) => [
      ...(r.path.includes(SECRET) ? ['query string'] : []),
      ...(r.headers.cookie?.includes(SECRET) ? ['Cookie header'] : []),
      ...(r.headers.authorization?.includes(SECRET) ? ['Authorization header'] : []),
    ]),
    ...(server.firstMessages.some((m) => m.includes(SECRET)) ? ['first message'] : []),
  ];
  return {
    events,
    counts: {
      opens: countOf(events, 'open'),
      messages: countOf(events, 'message'),
      errors: countOf(events, 'error'),
      serverRequests: server.requests.length,
      serverPreflights: preflights.length,
      accessLogPreflights: lines.filter((l) => l.startsWith('OPTIONS ')).length,
      accessLogLines: lines.length,
    },
    server: { requests: server.requests },
    facts: {
      delivered: countOf(events, 'message') > 0,
      credentialInAccessLog: log.some((line) => line.includes(SECRET)),
      accessLogRequestLines: lines,
      preflight: preflights.length > 0 || lines.some((l) => l.startsWith('OPTIONS ')),
      preflightAskedFor: preflights[0]?.headers['access-control-request-headers'] ?? null,
      reachedServer: reached.length > 0,
      reachedServerAs: [...new Set(reached)] as Json,
      console: page.console.map((e) => e.detail!.text!) as Json,
    },
  };
}

const WHAT: Record<Method, string> = {
  cookie: 'a cookie',
  'query-token': 'a token in the query string',
  'authorization-header': 'an Authorization header (event-source-polyfill `headers`)',
  'first-message': 'a token in the first message',
};

const CASES: [ScenarioTransport, Method][] = [
  ['sse', 'cookie'],
  ['sse', 'query-token'],
  ['sse', 'authorization-header'],
  ['ws', 'cookie'],
  ['ws', 'query-token'],
  ['ws', 'first-message'],
];

export const proxyAuth: ScenarioSpec = {
  name: 'proxy-auth',
  title: 'A credential with a stream through nginx: cookie, query string, Authorization header, first message',
  cases: CASES.map(
    ([transport, method]): CaseSpec => ({
      transport,
      case: method,
      client: 'browser',
      title: `${transport === 'sse' ? 'SSE' : 'WebSocket'} through nginx \`tuned\` with ${WHAT[method]}`,
      claims: ['sse-needs-no-special-server'],
      setup: {
        profile: 'tuned',
        method,
        client: method === 'authorization-header' ? 'event-source-polyfill' : transport === 'sse' ? 'EventSource' : 'WebSocket',
        withCredentials: method === 'cookie',
        pageOrigin: 'http://localhost:<page port>',
        proxyOrigin: 'http://localhost:<nginx port>',
        accessLogFormat: 'combined',
        secret: SECRET,
      },
      run: (c) => authenticate(c, transport, method),
    }),
  ),
};
