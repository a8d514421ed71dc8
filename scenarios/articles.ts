/**
 * Scenario `articles`: the two source articles' own servers and clients, run as written (scenarios/articles/), so a
 * student who copies an article's code can see what that code does, in both engines.
 *
 * Method. Article A: its express server over https with the lab's certificate (trusted by the browsers), its client
 * (event-source-polyfill's `NativeEventSource || EventSourcePolyfill`, `withCredentials: true`, `format: 'json'`,
 * listening to `message`) id 42. As written: from the lab's page on http://127.0.0.1:<page port>, another origin,
 * watched WATCH_MS: does anything arrive past `Access-Control-Allow-Origin: *` with credentials, which constructor
 * did the article's code pick, what did the server see? Again with the page acting as a browser without a native
 * EventSource, so the article's code takes its polyfill branch. Then from the server's own origin (where CORS does not
 * apply): three messages, the server drops the connection, and the case waits out `retry: 10000` for the reconnect:
 * its Last-Event-ID (the article writes the client's own id as the only event id), the delay, and how many of the
 * server's numbered messages were missed (its `data:` lines carry no id and it keeps no history).
 *
 * Article B: its express app with the real `ssestream`, page and stream on one origin as the article's
 * `new EventSource('/sse')` needs. Its client's `onmessage` beside a lab listener for `server-time` (which fires for the
 * same events a corrected client's `addEventListener('server-time')` would), three events, then a drop and the
 * `retry: 20000` wait: Last-Event-ID on the reconnect and the first id after it. Again through event-source-polyfill.
 * In Node: the first bytes of the response on a raw socket (status line, headers, `:ok`), and what ssestream writes for
 * falsy fields (`id: 0`, `retry: 0`, `data: 0`), on the package directly.
 *
 * Samples: one connection per case. Invalidated by: nothing timing-related; the reconnect delays are the browsers'
 * answers to `retry:` and are recorded, not judged.
 */
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { labCertificate } from '../servers/tls.ts';
import { startArticleACorrected } from './articles/article-a-corrected.ts';
import { startArticleA } from './articles/article-a-server.ts';
import { SseStream, startArticleB } from './articles/article-b-server.ts';
import type { ArticleServer } from './articles/listen.ts';
import { type CaseContext, type CaseSpec, type LabPage, pageHandler, portOf, type ScenarioSpec, sleep, until } from './harness.ts';
import { countOf, lossAndDuplicates, round } from './measure.ts';
import type { Observed, TimedEvent } from './types.ts';

/** Long enough for two of the servers' one-per-second messages. */
const WATCH_MS = 3000;
const CLIENT_ID = '42';
const RETRY_A_MS = 10_000;
const RETRY_B_MS = 20_000;
const RETRY_CORRECTED_MS = 1000;
/** How long past `retry:` a case waits for the reconnect before recording that none came. */
const GRACE_MS = 5000;

/** An article's server for this case: request times from the case start, closed when the case ends. */
async function forCase(c: CaseContext, started: Promise<ArticleServer>): Promise<ArticleServer> {
  const server = await started;
  server.log.setT0(c.t0);
  c.defer(() => server.close());
  return server;
}

async function articleA(c: CaseContext): Promise<ArticleServer> {
  const { cert, key } = await labCertificate();
  return forCase(c, startArticleA({ cert, key, page: pageHandler }));
}

async function articleACorrected(c: CaseContext): Promise<ArticleServer> {
  const { cert, key } = await labCertificate();
  return forCase(c, startArticleACorrected({ cert, key, page: pageHandler, allowOrigins: c.h.pageOrigins }));
}

const articleB = (c: CaseContext): Promise<ArticleServer> => forCase(c, startArticleB({ page: pageHandler }));

/** Runs an article's client in the page; returns the constructor the article's code ended up with. */
function runClient(page: LabPage, fn: string, args: string[], options: { polyfill?: boolean; listen?: string[] }): Promise<string> {
  return page.call<string>('articleClient', 'es', fn, args, options);
}

const of = (events: TimedEvent[], type: string) => events.filter((e) => e.type === type);
/** The `n` (article A) or `count` (article B) in a message's JSON. */
function numberIn(event: TimedEvent): number | null {
  try {
    const value = JSON.parse(String(event.detail?.data)) as { n?: number; count?: number };
    return value.n ?? value.count ?? null;
  } catch {
    return null;
  }
}

/** Article A's client from the lab's page on another origin: nothing should arrive past `*` with credentials. */
async function articleAAsWritten(c: CaseContext, polyfill: boolean): Promise<Observed> {
  const server = await articleA(c);
  const page = await c.page();
  const client = await runClient(page, 'articleAClient', [server.url(`/event-stream?id=${CLIENT_ID}`)], { polyfill });
  await sleep(WATCH_MS);
  const events = await page.events('es');
  const requests = server.log.to('/event-stream');
  return {
    events,
    readyState: await page.readyState('es'),
    counts: { messages: countOf(events, 'message'), errors: countOf(events, 'error'), requests: requests.length, sent: server.ticks() },
    server: { requests },
    facts: {
      client,
      delivered: countOf(events, 'message') > 0,
      origin: requests[0]?.headers.origin ?? null,
      console: page.console.map((e) => e.detail!.text!),
    },
  };
}

/** The numbers a client received, against every number from its first to its last: how many it missed, how many twice. */
function gapsIn(numbers: number[]): { missed: number; duplicated: number } {
  if (numbers.length === 0) return { missed: Number.NaN, duplicated: 0 };
  const first = Math.min(...numbers);
  const { lost, duplicated } = lossAndDuplicates(
    numbers.map((n) => n - first + 1),
    Math.max(...numbers) - first + 1,
  );
  return { missed: lost, duplicated };
}

/**
 * Article A with a drop: three messages, the server destroys the connection, the reconnect its `retry:` asks for, two
 * more messages. As written from the server's own origin (cross-origin nothing arrives); corrected from the lab's page.
 */
async function articleADrop(c: CaseContext, corrected: boolean): Promise<Observed> {
  const server = corrected ? await articleACorrected(c) : await articleA(c);
  const page = corrected ? await c.page() : await c.page({ url: server.url('/') });
  const path = `/event-stream?id=${CLIENT_ID}`;
  const client = corrected
    ? await runClient(page, 'articleACorrected', [server.url(path)], {})
    : await runClient(page, 'articleAClient', [path], {});
  await page.waitForEvents('es', 'message', 3, WATCH_MS * 2);
  const before = of(await page.events('es'), 'message');
  const dropAt = c.elapsed();
  server.log.dropAll();
  await until(() => server.log.to('/event-stream').length >= 2, (corrected ? RETRY_CORRECTED_MS : RETRY_A_MS) + GRACE_MS);
  await page.waitForEvents('es', 'message', before.length + 2, WATCH_MS);
  const events = await page.events('es');
  const messages = of(events, 'message');
  const requests = server.log.to('/event-stream');
  const reconnect = requests[1];
  const numbers = messages.map(numberIn).filter((n) => n !== null);
  return {
    events,
    readyState: await page.readyState('es'),
    counts: { messages: messages.length, opens: countOf(events, 'open'), requests: requests.length, ...gapsIn(numbers) },
    server: { requests },
    facts: {
      client,
      delivered: messages.length > 0,
      lastEventIdBeforeDrop: before.at(-1)?.detail?.lastEventId ?? null,
      lastEventIdSent: reconnect?.headers['last-event-id'] ?? null,
      reconnectPath: reconnect?.path ?? null,
      reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
      lastNumberBeforeDrop: before.length ? numberIn(before.at(-1)!) : null,
      firstNumberAfter: messages[before.length] ? numberIn(messages[before.length]!) : null,
    },
  };
}

/** Article B's client on its server's page: onmessage against `event: server-time`; optionally a drop and its reconnect. */
async function articleBRun(c: CaseContext, fn: string, polyfill: boolean, drop: boolean): Promise<Observed> {
  const server = await articleB(c);
  const page = await c.page({ url: server.url('/') });
  // The client's own handler logs each event it gets: its console.log calls are what the article's reader would see.
  let handlerLogs = 0;
  page.page.on('console', (message) => {
    if (message.type() === 'log') handlerLogs++;
  });
  const client = await runClient(page, fn, [], { polyfill, listen: ['server-time'] });
  await page.waitForEvents('es', 'server-time', 3, WATCH_MS * 2);
  const before = of(await page.events('es'), 'server-time');
  const dropAt = c.elapsed();
  if (drop) {
    server.log.dropAll();
    await until(() => server.log.to('/sse').length >= 2, RETRY_B_MS + GRACE_MS);
    await page.waitForEvents('es', 'server-time', before.length + 1, WATCH_MS);
  }
  const events = await page.events('es');
  const named = of(events, 'server-time');
  const requests = server.log.to('/sse');
  const reconnect = drop ? requests[1] : undefined;
  return {
    events,
    readyState: await page.readyState('es'),
    counts: {
      onmessage: countOf(events, 'message'),
      serverTimeListener: named.length,
      handlerLogs,
      opens: countOf(events, 'open'),
      requests: requests.length,
    },
    server: { requests },
    facts: {
      client,
      lastEventIdBeforeDrop: before.at(-1)?.detail?.lastEventId ?? null,
      ...(drop
        ? {
            lastEventIdSent: reconnect?.headers['last-event-id'] ?? null,
            reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
            firstIdAfterReconnect: named[before.length]?.detail?.lastEventId ?? null,
          }
        : {}),
    },
  };
}

/** Article B's response on a raw socket: status line, headers and the first bytes of the body, as they arrive. */
async function articleBWire(c: CaseContext): Promise<Observed> {
  const server = await articleB(c);
  const socket = connect(portOf(server.url('/')), '127.0.0.1');
  c.defer(() => socket.destroy());
  let raw = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (raw += chunk));
  socket.write('GET /sse HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
  const complete = await until(() => (raw.match(/event: server-time/g) ?? []).length >= 2, WATCH_MS);
  socket.destroy();
  const [head = '', ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return {
    counts: { events: (body.match(/event: server-time/g) ?? []).length },
    bytes: { body: Buffer.byteLength(body, 'latin1') },
    facts: {
      statusLine,
      contentType: headers['content-type'] ?? null,
      transferEncoding: headers['transfer-encoding'] ?? null,
      contentLength: headers['content-length'] ?? null,
      // What came before the first blank line; null if the watch ended before two events or any blank line arrived.
      firstWrite: complete && body.includes('\n\n') ? body.slice(0, body.indexOf('\n\n') + 2) : null,
      bodyStart: body.slice(0, 200),
    },
  };
}

/** What ssestream writes for messages whose fields are falsy (0, ''), on the package alone. */
async function ssestreamFalsyFields(): Promise<Observed> {
  const messages = [
    { id: 0, retry: 0, event: 'zero', data: 0 },
    { id: '', data: '' },
    { id: 1, retry: 1000, data: 'one' },
  ];
  const sse = new SseStream();
  const out = new PassThrough();
  let written = '';
  out.setEncoding('utf8').on('data', (chunk: string) => (written += chunk));
  sse.pipe(out);
  for (const message of messages) sse.write(message);
  sse.end();
  await new Promise((resolve) => out.once('end', resolve));
  return {
    counts: { messages: messages.length, blankLines: written.split('\n\n').length - 1 },
    facts: { messages: messages.map((m) => JSON.stringify(m)), written },
  };
}

const SSE_A = { server: 'article A (express, https)', client: 'article A (NativeEventSource || EventSourcePolyfill)' };
const SSE_B = { server: 'article B (express + ssestream)', client: "article B (new EventSource('/sse'), onmessage)" };

const cases: CaseSpec[] = [
  ...[false, true].map(
    (polyfill): CaseSpec => ({
      transport: 'sse',
      case: polyfill ? 'article-a-polyfill' : 'article-a-as-written',
      client: 'browser',
      title: polyfill
        ? "Article A's client in a browser without native EventSource (its polyfill branch), from another origin"
        : "Article A's server and client as written, the page on another origin",
      claims: ['seed-credentials-with-wildcard-cors', 'sse-needs-cors-headers'],
      setup: {
        ...SSE_A,
        acao: '*',
        withCredentials: true,
        polyfillForced: polyfill,
        pageOrigin: 'http://127.0.0.1:<page port>',
        serverOrigin: 'https://localhost:<port>',
        watchMs: WATCH_MS,
      },
      run: (c) => articleAAsWritten(c, polyfill),
    }),
  ),
  {
    transport: 'sse',
    case: 'article-a-same-origin-drop',
    client: 'browser',
    title: 'Article A from its own origin: a drop, and the reconnect its `retry: 10000` asks for',
    claims: ['sse-auto-reconnect', 'sse-event-ids-resume'],
    setup: { ...SSE_A, retryMs: RETRY_A_MS, clientId: CLIENT_ID, dropMode: 'server destroys the connection', graceMs: GRACE_MS },
    run: (c) => articleADrop(c, false),
  },
  {
    transport: 'sse',
    case: 'article-a-corrected-drop',
    client: 'browser',
    title: 'Article A corrected (exact-origin CORS, an id per message, `retry: 1000`), from another origin, with a drop',
    claims: ['seed-credentials-with-wildcard-cors', 'sse-event-ids-resume'],
    setup: {
      server: 'article A corrected (scenarios/articles/article-a-corrected.ts)',
      client: 'article A corrected (native EventSource, withCredentials)',
      retryMs: RETRY_CORRECTED_MS,
      clientId: CLIENT_ID,
      pageOrigin: 'http://127.0.0.1:<page port>',
      dropMode: 'server destroys the connection',
      graceMs: GRACE_MS,
    },
    run: (c) => articleADrop(c, true),
  },
  {
    transport: 'sse',
    case: 'article-b-as-written',
    client: 'browser',
    title: "Article B's ssestream server and its client's onmessage; a drop and the reconnect its `retry: 20000` asks for",
    claims: ['sse-named-events-need-listener', 'sse-auto-reconnect'],
    setup: { ...SSE_B, eventName: 'server-time', retryMs: RETRY_B_MS, dropMode: 'server destroys the connection', graceMs: GRACE_MS },
    run: (c) => articleBRun(c, 'articleBClient', false, true),
  },
  {
    transport: 'sse',
    case: 'article-b-polyfill',
    client: 'browser',
    title: "Article B's client in a browser without native EventSource (event-source-polyfill)",
    claims: ['sse-named-events-need-listener'],
    setup: { ...SSE_B, eventName: 'server-time', polyfillForced: true },
    run: (c) => articleBRun(c, 'articleBClient', true, false),
  },
  {
    transport: 'sse',
    case: 'article-b-corrected',
    client: 'browser',
    title: "Article B's client corrected: addEventListener('server-time') instead of onmessage",
    claims: ['sse-named-events-need-listener'],
    setup: { server: SSE_B.server, client: "article B corrected (addEventListener('server-time'))", eventName: 'server-time' },
    run: (c) => articleBRun(c, 'articleBCorrected', false, false),
  },
  {
    transport: 'sse',
    case: 'article-b-wire',
    client: 'node',
    title: "Article B's response on a raw socket: status line, headers, and what ssestream writes first",
    claims: ['sse-named-events-need-listener'],
    setup: { server: SSE_B.server, request: 'GET /sse HTTP/1.1' },
    run: articleBWire,
  },
  {
    transport: 'sse',
    case: 'ssestream-falsy-fields',
    client: 'node',
    title: 'What ssestream writes for fields that are 0 or empty',
    claims: ['sse-event-ids-resume'],
    setup: { package: 'ssestream' },
    run: ssestreamFalsyFields,
  },
];

export const articles: ScenarioSpec = {
  name: 'articles',
  title: "The articles' code, run: article A's express server and polyfill client, article B's ssestream server",
  cases,
};
