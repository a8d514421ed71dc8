/**
 * Scenario `polyfill`: event-source-polyfill (Yaffle, as installed, served from node_modules) in
 * the page beside native EventSource (the articles' own code is in scenario `articles`).
 *
 * Method. Reconnect: the same drop as scenario `reconnect` (5 quotes, socket destroyed, 5 while
 * away, 5 after) against the lab SSE server with `retry: 300`, once with native EventSource and
 * once with the polyfill; the wire tap records the reconnect request's path and headers, so
 * "Last-Event-ID header or ?lastEventId= query" is read off what the server received. Headers:
 * both are asked to send `Authorization: Bearer lab-token` (native EventSource's constructor has
 * no such option; the extra argument is ignored) and the fixture server logs what arrived.
 * Heartbeat timeout: the polyfill aborts and reopens a stream that stays silent longer than
 * `heartbeatTimeout` (default read from its source: 45 000 ms; set here to HEARTBEAT_TIMEOUT_MS, its own
 * minimum is 1000 ms, to keep the run short), watched for WATCH_MS on a silent stream and on one
 * with a `:` comment every 500 ms; native EventSource on the silent stream for comparison.
 *
 * The cases belong to the EventSource transports on plain HTTP/1.1 (the fixture's protocol, and
 * the tap reads the reconnect request): SSE over HTTP/2 is left out, since what is measured here
 * is the client library's behaviour (query or header, heartbeat timeout, named events), which the
 * HTTP version under it does not change; its own reconnect and Last-Event-ID are in `reconnect`.
 *
 * Samples: one connection per case. Invalidated by: a loaded machine delaying the heartbeat
 * timer by more than the 500 ms comment interval.
 */
import { portOf, sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import { countOf, lossAndDuplicates, publish, readSource, round, seqsOf } from './measure.ts';
import { EVENT_SOURCE, readableHttp1, spec } from './capabilities.ts';
import type { Observed, ScenarioTransport } from './types.ts';

const HEARTBEAT_TIMEOUT_MS = 1500;
const WATCH_MS = 4500;
const WAIT_MS = 6000;

/** The polyfill's own default heartbeatTimeout, read from the source the page loads (`parseDuration(options.heartbeatTimeout, <ms>)`). */
async function polyfillDefaultHeartbeatTimeout(): Promise<number | null> {
  const source = await readSource('node_modules/event-source-polyfill/src/eventsource.js');
  const match = /parseDuration\(options\.heartbeatTimeout,\s*(\d+)\)/.exec(source);
  return match ? Number(match[1]) : null;
}

async function reconnectWith(c: CaseContext, transport: ScenarioTransport, polyfill: boolean): Promise<Observed> {
  const server = await c.lab(transport, { retryMs: 300 });
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  await page.call('eventSource', 'es', tap.url('http', '/sse'), { polyfill });
  await page.waitForEvents('es', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 5, WAIT_MS);
  const dropAt = c.elapsed();
  server.drop('destroy');
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  await until(() => tap.requests.length >= 2, WAIT_MS);
  await page.waitForEvents('es', 'open', 2, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 15, WAIT_MS);
  const events = await page.events('es');
  const seqs = seqsOf(events, 'quote');
  const reconnect = tap.requests[1];
  return {
    events,
    counts: {
      quotes: seqs.length,
      published: server.feed.latestSeq,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
      requests: tap.requests.length,
    },
    server: { requests: tap.requests, counters: { resumed: server.stats.resumed } },
    facts: {
      client: polyfill ? 'event-source-polyfill' : 'native EventSource',
      firstRequestPath: tap.requests[0]?.path ?? null,
      reconnectPath: reconnect?.path ?? null,
      lastEventIdQuery: reconnect ? new URL(reconnect.path, 'http://x').searchParams.get('lastEventId') : null,
      lastEventIdHeader: reconnect?.headers['last-event-id'] ?? null,
      reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
    },
  };
}

async function authorizationHeader(c: CaseContext, polyfill: boolean): Promise<Observed> {
  const fixture = await c.fixture();
  const page = await c.page();
  const init = { headers: { Authorization: 'Bearer lab-token' } };
  await page.call('eventSource', 'es', fixture.url('http', '/stream?events=1'), { polyfill, init });
  await page.waitForEvents('es', 'message', 1, WAIT_MS);
  const requests = fixture.requestsTo('/stream');
  const get = requests.find((r) => r.method === 'GET');
  return {
    events: await page.events('es'),
    counts: { requests: requests.length, preflights: requests.filter((r) => r.method === 'OPTIONS').length },
    server: { requests },
    facts: {
      client: polyfill ? 'event-source-polyfill' : 'native EventSource',
      asked: 'Authorization: Bearer lab-token',
      authorizationReceived: get?.headers.authorization ?? null,
      accept: get?.headers.accept ?? null,
    },
  };
}

async function heartbeat(c: CaseContext, polyfill: boolean, commentsMs: number): Promise<Observed> {
  const fixture = await c.fixture();
  const page = await c.page();
  const path = `/stream?events=1&retry=1000${commentsMs ? `&comments=${commentsMs}` : ''}`;
  await page.call('eventSource', 'es', fixture.url('http', path), {
    polyfill,
    init: polyfill ? { heartbeatTimeout: HEARTBEAT_TIMEOUT_MS } : {},
  });
  await sleep(WATCH_MS);
  const events = await page.events('es');
  const requests = fixture.requestsTo('/stream');
  return {
    events,
    readyState: await page.readyState('es'),
    counts: { requests: requests.length, reopened: requests.length - 1, errors: countOf(events, 'error') },
    server: { requests },
    facts: {
      client: polyfill ? 'event-source-polyfill' : 'native EventSource',
      heartbeatTimeoutMs: polyfill ? HEARTBEAT_TIMEOUT_MS : null,
      polyfillDefaultHeartbeatTimeoutMs: await polyfillDefaultHeartbeatTimeout(),
      commentEveryMs: commentsMs || null,
      watchedMs: WATCH_MS,
      console: page.console.map((e) => e.detail!.text!),
    },
  };
}

const both = (make: (polyfill: boolean) => CaseSpec): CaseSpec[] => [make(false), make(true)];
const who = (polyfill: boolean) => (polyfill ? 'polyfill' : 'native');

/** EventSource transports on plain HTTP/1.1 (see the header). */
const POLYFILLED = EVENT_SOURCE.filter((t) => readableHttp1(spec(t)));

export const polyfill: ScenarioSpec = {
  name: 'polyfill',
  title: 'event-source-polyfill beside native EventSource: the reconnect request, headers, its heartbeat timeout',
  cases: [
    ...POLYFILLED.flatMap((transport): CaseSpec[] => [
      ...both((p) => ({
        transport,
        case: `${who(p)}-reconnect`,
        client: 'browser',
        title: `${p ? 'event-source-polyfill' : 'Native EventSource'}: what the reconnect request carries`,
        claims: ['polyfill-sends-last-id-as-query', 'sse-event-ids-resume'],
        setup: { retryMs: 300, dropMode: 'destroy' },
        run: (c) => reconnectWith(c, transport, p),
      })),
      ...both((p) => ({
        transport,
        case: `${who(p)}-authorization-header`,
        client: 'browser',
        title: `${p ? 'event-source-polyfill' : 'Native EventSource'} asked to send Authorization`,
        claims: ['polyfill-sends-last-id-as-query'],
        setup: { headers: { Authorization: 'Bearer lab-token' } },
        run: (c) => authorizationHeader(c, p),
      })),
      {
        transport,
        case: 'polyfill-heartbeat-silent',
        client: 'browser',
        title: `event-source-polyfill, heartbeatTimeout ${HEARTBEAT_TIMEOUT_MS} ms, silent stream`,
        claims: ['sse-heartbeat-comments-needed'],
        setup: { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, comments: null, watchMs: WATCH_MS },
        run: (c) => heartbeat(c, true, 0),
      },
      {
        transport,
        case: 'polyfill-heartbeat-comments',
        client: 'browser',
        title: `event-source-polyfill, heartbeatTimeout ${HEARTBEAT_TIMEOUT_MS} ms, \`:\` comment every 500 ms`,
        claims: ['sse-heartbeat-comments-needed'],
        setup: { heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS, commentsMs: 500, watchMs: WATCH_MS },
        run: (c) => heartbeat(c, true, 500),
      },
      {
        transport,
        case: 'native-silent',
        client: 'browser',
        title: 'Native EventSource on the same silent stream',
        claims: ['sse-heartbeat-comments-needed'],
        setup: { comments: null, watchMs: WATCH_MS },
        run: (c) => heartbeat(c, false, 0),
      },
    ]),
  ],
};
