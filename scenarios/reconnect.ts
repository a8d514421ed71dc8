/**
 * Scenario `reconnect`: what each transport does when the server side goes away.
 *
 * Method. A lab server runs in this process with its feed paused; the case publishes by hand:
 * 5 quotes, then the server drops every connection (`destroy`: TCP torn down; `end`: the
 * transport's clean close), 5 more while the client is away, then 5 after it is back. A wire tap
 * in front of the server records each request as the server received it (so the Last-Event-ID
 * header, the reconnect time and keep-alive reuse come from the server side, not the browser's
 * own account). Reconnection delay = (time the tap saw the new request) - (time of the drop), both
 * on Node's clock. Lost/duplicated = published seqs 1..N against the seqs the page received.
 * Over HTTP/2 (a transport with `tls: 'required'`) the tap is a plain TCP relay that sees only
 * TLS records, so the requests come from the browser's own account instead (network.ts; Chromium's DevTools Network: the
 * headers it sent, its send time on the same host clock, the connection id), which each record
 * names in `requestsFrom`; the server's counters (resumed, resets) are read as before.
 * `gap-reset`: the same drop against a replay buffer of GAP_REPLAY quotes with twice that many
 * published while away, so the resume hits a gap and the server sends `event: reset`.
 * The restart cases run the server as its own process (the CLI contract, 20 quotes/s), kill it
 * with SIGKILL and start it again on the same port. The "ends for good" cases use the fixture
 * server: a first stream (retry 200 ms) that ends, then a 204 / 500 / text/plain answer; the
 * number of requests in the following 1.5 s (7 retry periods) shows whether EventSource gave up.
 * Which cases a transport gets follows its registry entry: its browser API picks the drop cases
 * (EventSource, WebSocket, socket.io), the fixture cases need plain HTTP/1.1, the Node cases a
 * Node client.
 * Node-client cases repeat the drop with clients/ (eventsource package, hand-written ws loop,
 * socket.io-client). `code-size` counts non-comment lines of the lab's parallel files (each with
 * the modules only its kind of transport imports, see ownFiles) and of the page's two reconnect
 * blocks (scenarios/page/lab-page.js: `sse-reconnect`, the plain EventSource the SSE drop cases
 * run; `raw-ws-reconnect`, the loop the hand-written-resume case runs).
 *
 * Samples: one drop per case. Invalidated by: a loaded machine stretching delays (the delay
 * figures are single samples; the retry comparison holds only while delay >> scheduling noise).
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { createClient } from '../clients/index.ts';
import type { ServerOptions } from '../servers/options.ts';
import { TRANSPORT_NAMES, TRANSPORTS } from '../servers/transports.ts';
import { spawnServer, type SpawnedServer } from '../scripts/lib/spawn-server.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import {
  type BrowserApi,
  endpointPath,
  httpScheme,
  labTrust,
  NODE_CLIENTS,
  type NodeTransport,
  readableHttp1,
  spec,
  tlsOnly,
} from './capabilities.ts';
import { portOf, sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import type { ThenAnswer } from './fixtures/http-fixtures.ts';
import {
  between,
  codeLines,
  countOf,
  localImports,
  lossAndDuplicates,
  packagesImported,
  publish,
  readSource,
  round,
  seqsOf,
} from './measure.ts';
import { NetworkLog, networkAccount } from './network.ts';
import { type Json, type Observed, type RequestSeen, SCENARIO_TRANSPORTS, type ScenarioTransport, type TimedEvent } from './types.ts';

const WAIT_MS = 6000;
/** Whose account of the requests a record carries (`requestsFrom`). */
const TAP_ACCOUNT = 'wire tap (server side)';
const browserAccount = (c: CaseContext) => `${networkAccount(c.engine)} (TLS hides the request heads from the tap)`;
/** How long a case watches for a reconnect that should not come. */
const QUIET_MS = 2000;
/** The replay buffer of the gap case, in quotes: small, so a short absence outruns it. */
const GAP_REPLAY = 5;

function timesOf(events: TimedEvent[], type: string): number[] {
  return events.filter((e) => e.type === type).map((e) => e.t);
}

/**
 * A lab server behind the wire tap, and who reports the requests: the tap (server side) for plain
 * HTTP/1.1, the browser's network log where TLS hides the request heads from the tap.
 */
async function behindTap(c: CaseContext, transport: ScenarioTransport, options: Partial<ServerOptions>) {
  const server = await c.lab(transport, options);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, opaque: tlsOnly(transport) });
  const page = await c.page();
  const network = tlsOnly(transport) ? await NetworkLog.watch(page, tap.url('https', '')) : undefined;
  const path = endpointPath(server.url);
  return {
    server,
    tap,
    page,
    url: tap.url(httpScheme(transport), path),
    /** The stream requests in order: `connection` is the tap's connection number or Chromium's connection id (Firefox: 0). */
    requests: (): RequestSeen[] =>
      network
        ? network
            .requests(path)
            .map((r) => ({ t: r.t, connection: r.connectionId ?? 0, method: r.method, path: r.path, headers: r.headers }))
        : tap.requests,
    /** What goes in the record: the tap's requests as the server saw them, or the browser's as events beside the page's. */
    record: (events: TimedEvent[]): { events: TimedEvent[]; requests?: RequestSeen[]; requestsFrom: string } =>
      network
        ? { events: [...events, ...network.events(path)], requestsFrom: browserAccount(c) }
        : { events, requests: tap.requests, requestsFrom: TAP_ACCOUNT },
  };
}

/** EventSource in the browser: drop, publish while away, come back. */
async function sseDrop(c: CaseContext, transport: ScenarioTransport, retryMs: number | null, mode: 'destroy' | 'end'): Promise<Observed> {
  const { server, tap, page, url, requests: sent, record } = await behindTap(c, transport, { retryMs });
  await page.call('resumingEventSource', 'es', url);
  await page.waitForEvents('es', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 5, WAIT_MS);
  const beforeDrop = await page.events('es');
  const dropAt = c.elapsed();
  server.drop(mode);
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  await until(() => sent().length >= 2, (retryMs ?? 3000) + WAIT_MS);
  await page.waitForEvents('es', 'open', 2, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 15, WAIT_MS);
  const events = await page.events('es');
  const seqs = seqsOf(events, 'quote');
  const requests = sent();
  const reconnect = requests[1];
  const recorded = record(events);
  const lastIdBeforeDrop = beforeDrop.filter((e) => e.type === 'quote').at(-1)?.detail?.lastEventId ?? null;
  const errorAt = timesOf(events, 'error').find((t) => t >= dropAt);
  return {
    events: recorded.events,
    readyState: await page.readyState('es'),
    counts: {
      opens: countOf(events, 'open'),
      errors: countOf(events, 'error'),
      quotes: seqs.length,
      published: server.feed.latestSeq,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
      requests: requests.length,
      tcpConnections: tap.connections.length,
    },
    server: {
      connections: tap.connections.length,
      ...(recorded.requests ? { requests: recorded.requests } : {}),
      counters: { resumed: server.stats.resumed, resets: server.stats.resets },
    },
    facts: {
      retryMs,
      dropMode: mode,
      requestsFrom: recorded.requestsFrom,
      dropAtMs: dropAt,
      reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
      errorEventAfterDropMs: errorAt === undefined ? null : round(errorAt - dropAt),
      lastEventIdBeforeDrop: lastIdBeforeDrop,
      lastEventIdSent: reconnect?.headers['last-event-id'] ?? null,
      // Connection 0: the account names no connection (Firefox's network log), so reuse is unknown.
      reconnectReusedConnection: reconnect && reconnect.connection > 0 ? reconnect.connection === requests[0]!.connection : null,
    },
  };
}

/** A lab server as its own process, killable and restartable on the same port. */
async function restartable(c: CaseContext, transport: ScenarioTransport) {
  const args = ['--rate', '20', '--retry', '500', '--heartbeat', 'off', '--allow-origin', c.h.pageOrigin];
  let current: SpawnedServer = await spawnServer(transport, ['--port', '0', ...args]);
  const port = portOf(current.ready.url);
  c.defer(() => current.stop('SIGKILL'));
  // /stats of a TLS-only server speaks what its stream does (HTTP/2 with the lab certificate).
  const { ca } = await labTrust(transport);
  const dispatcher = ca ? new Agent({ allowH2: true, connect: { ca } }) : undefined;
  c.defer(() => dispatcher?.close());
  const statsUrl = current.ready.stats;
  const stats = async () =>
    (await (await undiciFetch(statsUrl, { dispatcher, signal: AbortSignal.timeout(WAIT_MS) })).json()) as {
      latestSeq: number;
      resumed: number;
      connections: number;
    };
  return {
    port,
    stats,
    async kill(): Promise<number> {
      const latestSeq = (await stats()).latestSeq;
      await current.stop('SIGKILL');
      return latestSeq;
    },
    async restart(): Promise<void> {
      current = await spawnServer(transport, ['--port', String(port), ...args]);
    },
  };
}

async function restartCase(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await restartable(c, transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: server.port }, opaque: tlsOnly(transport) });
  const page = await c.page();
  const network = tlsOnly(transport) ? await NetworkLog.watch(page, tap.url('https', '')) : undefined;
  const eventSource = spec(transport).browserApi === 'EventSource';
  const quoteType = eventSource ? 'quote' : 'message';
  if (eventSource) await page.call('eventSource', 'c', tap.url(httpScheme(transport), '/sse'));
  else
    await page.call('socketIo', 'c', tap.url('http', ''), { reconnectionDelay: 500, reconnectionDelayMax: 1000, randomizationFactor: 0 });
  await page.waitForEvents('c', quoteType, 10, WAIT_MS);
  const killAt = c.elapsed();
  const latestAtKill = await server.kill();
  const seqsBefore = seqsOf(await page.events('c'), quoteType);
  await sleep(300);
  await server.restart();
  const restartedAt = c.elapsed();
  const reopened = await page.waitForEvents('c', 'open', 2, WAIT_MS + 2000);
  await page.waitForEvents('c', quoteType, seqsBefore.length + 10, WAIT_MS);
  const events = await page.events('c');
  const seqsAfter = seqsOf(
    events.filter((e) => e.t > restartedAt),
    quoteType,
  );
  const lastBefore = seqsBefore.at(-1) ?? 0;
  const opens = events.filter((e) => e.type === 'open');
  // EventSource: the restarted process cannot place the page's id (ahead of its feed) and says so with a reset.
  const resetAfter = events.find((e) => e.type === 'reset' && e.t > killAt);
  const requests = network ? network.requests('/sse') : tap.requests;
  // The tap reads every request head that reached it; Chromium reports the headers it sent only for requests that got
  // past the TLS handshake, so over TLS the first one after the kill that the restarted server answered.
  const firstAfterKill = network
    ? network.requests('/sse').find((r) => r.t > killAt && r.status !== undefined)
    : tap.requests.find((r) => r.t > killAt);
  const after = await server.stats();
  return {
    events: network ? [...events, ...network.events('/sse')] : events,
    readyState: eventSource ? await page.readyState('c') : null,
    counts: {
      quotesBefore: seqsBefore.length,
      quotesAfter: seqsAfter.length,
      repeatedSeqs: seqsAfter.filter((s) => s <= lastBefore).length,
      resetsAfterRestart: events.filter((e) => e.type === 'reset' && e.t > killAt).length,
      requests: requests.length,
      tcpConnections: tap.connections.length,
      refusedWhileDown: tap.connections.filter((x) => x.endedBy === 'upstream-down').length,
    },
    server: {
      connections: tap.connections.length,
      ...(network ? {} : { requests: tap.requests.slice(0, 50) }),
      counters: { resumedAfterRestart: after.resumed, latestSeqAtKill: latestAtKill },
    },
    facts: {
      requestsFrom: network ? browserAccount(c) : TAP_ACCOUNT,
      killAtMs: killAt,
      restartedAtMs: restartedAt,
      reconnected: reopened,
      lastSeqBeforeKill: lastBefore,
      // A lower bound: the feed (20/s) keeps publishing between the stats read and the SIGKILL.
      lostInFlightAtLeast: Math.max(0, latestAtKill - lastBefore),
      firstSeqAfterRestart: seqsAfter[0] ?? null,
      seqWentBack: seqsAfter[0] !== undefined && seqsAfter[0] <= lastBefore,
      // {lastSeen, firstAvailable, missed, reason} as the page got it, or null (socket.io has no reset: `recovered` says it).
      resetAfterRestart: resetAfter ? (JSON.parse(String(resetAfter.detail?.data)) as Json) : null,
      lastEventIdSent: eventSource ? (firstAfterKill?.headers['last-event-id'] ?? null) : null,
      recoveredAfterRestart:
        spec(transport).resume === 'recovery' ? ((opens.at(-1)?.detail?.recovered as boolean | undefined) ?? null) : null,
    },
  };
}

/** The first stream ends cleanly (so EventSource reconnects); the reconnect gets `answer`. */
async function endsFor(c: CaseContext, answer: ThenAnswer): Promise<Observed> {
  const fixture = await c.fixture();
  const page = await c.page();
  await page.call('eventSource', 'es', fixture.url('http', `/then/${answer}?key=k&retry=200`));
  await until(() => fixture.requestsTo('/then/').length >= 2, WAIT_MS);
  const secondAt = fixture.requestsTo('/then/')[1]?.t ?? c.elapsed();
  await sleep(1500);
  const events = await page.events('es');
  const requests = fixture.requestsTo('/then/');
  return {
    events,
    readyState: await page.readyState('es'),
    counts: {
      requests: requests.length,
      requestsAfterAnswer: requests.filter((r) => r.t > secondAt).length,
      opens: countOf(events, 'open'),
      errors: countOf(events, 'error'),
      messages: countOf(events, 'message'),
    },
    server: { requests },
    facts: { answer, retryMs: 200, watchedMs: 1500, lastEventIdSent: requests[1]?.headers['last-event-id'] ?? null },
  };
}

/** Raw browser WebSocket: the server drops it; does anything come back? */
async function wsDrop(c: CaseContext, transport: ScenarioTransport, mode: 'destroy' | 'end'): Promise<Observed> {
  const server = await c.lab(transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  await page.call('webSocket', 'ws', tap.url('ws', '/ws'));
  await page.waitForEvents('ws', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('ws', 'message', 5, WAIT_MS);
  const dropAt = c.elapsed();
  server.drop(mode);
  await page.waitForEvents('ws', 'close', 1, WAIT_MS);
  publish(server, 5);
  await sleep(QUIET_MS);
  const events = await page.events('ws');
  const close = events.find((e) => e.type === 'close');
  return {
    events,
    readyState: await page.readyState('ws'),
    counts: {
      opens: countOf(events, 'open'),
      messages: seqsOf(events, 'message').length,
      published: server.feed.latestSeq,
      connectionsAfterDrop: tap.connections.filter((x) => x.openedAt > dropAt).length,
    },
    server: { connections: tap.connections.length, requests: tap.requests },
    facts: {
      dropMode: mode,
      watchedMs: QUIET_MS,
      closeCode: (close?.detail?.code as number) ?? null,
      wasClean: (close?.detail?.wasClean as boolean) ?? null,
    },
  };
}

/** The hand-written reconnect + ?since= resume loop of lab-page.js, across a destroy. */
async function wsHandWritten(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  const delayMs = 500;
  await page.call('resumingWebSocket', 'ws', tap.url('ws', '/ws'), delayMs);
  await page.waitForEvents('ws', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('ws', 'message', 5, WAIT_MS);
  const dropAt = c.elapsed();
  server.drop('destroy');
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  await until(() => tap.connections.length >= 2, delayMs + WAIT_MS);
  await page.waitForEvents('ws', 'open', 2, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('ws', 'message', 15, WAIT_MS);
  const events = await page.events('ws');
  const seqs = seqsOf(events, 'message');
  const reconnect = tap.requests[1];
  const source = between(await readSource('scenarios/page/lab-page.js'), 'raw-ws-reconnect');
  return {
    events,
    counts: {
      opens: countOf(events, 'open'),
      quotes: seqs.length,
      published: server.feed.latestSeq,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
    },
    server: { connections: tap.connections.length, requests: tap.requests, counters: { resumed: server.stats.resumed } },
    facts: {
      reconnectDelaySettingMs: delayMs,
      reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
      resumeQuery: reconnect?.path ?? null,
      handWrittenReconnectLines: codeLines(source),
    },
  };
}

/** socket.io in the browser: `destroy` (a network drop: it reconnects and recovers) or `end` (the server disconnects it). */
async function socketIoDrop(c: CaseContext, transport: ScenarioTransport, mode: 'destroy' | 'end'): Promise<Observed> {
  const server = await c.lab(transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  const options = { reconnectionDelay: 500, reconnectionDelayMax: 500, randomizationFactor: 0, transports: ['websocket'] };
  await page.call('socketIo', 'io', tap.url('http', ''), options);
  await page.waitForEvents('io', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('io', 'message', 5, WAIT_MS);
  const dropAt = c.elapsed();
  server.drop(mode);
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  const back = await page.waitForEvents('io', 'open', 2, mode === 'end' ? QUIET_MS : WAIT_MS);
  if (back) {
    publish(server, 5);
    await page.waitForEvents('io', 'message', 15, WAIT_MS);
  }
  const events = await page.events('io');
  const seqs = seqsOf(events, 'message');
  const opens = events.filter((e) => e.type === 'open');
  return {
    events,
    counts: {
      opens: opens.length,
      quotes: seqs.length,
      published: server.feed.latestSeq,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
      connectionsAfterDrop: tap.connections.filter((x) => x.openedAt > dropAt).length,
    },
    server: { connections: tap.connections.length, requests: tap.requests, counters: { resumed: server.stats.resumed } },
    facts: {
      dropMode: mode,
      reconnectDelayMs: opens[1] ? round(opens[1].t - dropAt) : null,
      recovered: (opens[1]?.detail?.recovered as boolean | undefined) ?? null,
      disconnectReason: (events.find((e) => e.type === 'close')?.detail?.reason as string | undefined) ?? null,
      clientOptions: options as unknown as Json,
    },
  };
}

/** The Node clients of clients/ across a destroy: what a service (not a browser) gets. */
async function nodeDrop(c: CaseContext, transport: NodeTransport): Promise<Observed> {
  const server = await c.lab(transport, { retryMs: 200 });
  const client = createClient(transport, { url: server.url, reconnectMs: 200, ...(await labTrust(transport)) });
  c.defer(() => client.close());
  const seqs: number[] = [];
  const events: { t: number; source: string; type: string }[] = [];
  client.on('quote', (m) => seqs.push(m.quote.seq));
  client.on('open', () => events.push({ t: c.elapsed(), source: 'client', type: 'open' }));
  client.on('close', () => events.push({ t: c.elapsed(), source: 'client', type: 'close' }));
  await client.connect();
  publish(server, 5);
  await until(() => seqs.length >= 5, WAIT_MS);
  const dropAt = c.elapsed();
  server.drop('destroy');
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  await until(() => client.counters.reconnects >= 1, WAIT_MS);
  publish(server, 5);
  await until(() => seqs.length >= 15, WAIT_MS);
  const reopened = events.filter((e) => e.type === 'open')[1];
  return {
    events,
    counts: {
      quotes: seqs.length,
      published: server.feed.latestSeq,
      reconnects: client.counters.reconnects,
      resets: client.counters.resets,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
    },
    server: { counters: { resumed: server.stats.resumed } },
    facts: { reconnectDelayMs: reopened ? round(reopened.t - dropAt) : null, client: `clients/${transport}.ts` },
  };
}

/**
 * EventSource away for longer than the replay buffer holds (GAP_REPLAY quotes; twice that many
 * are published while it is away): the resume cannot be complete, and the server says so with an
 * `event: reset` naming the gap before it replays what it still has.
 */
async function gapReset(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const { server, tap, page, url, requests: sent, record } = await behindTap(c, transport, { retryMs: 500, replay: GAP_REPLAY });
  await page.call('eventSource', 'es', url);
  await page.waitForEvents('es', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 5, WAIT_MS);
  server.drop('destroy');
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 2 * GAP_REPLAY);
  await page.waitForEvents('es', 'reset', 1, 500 + WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 5 + GAP_REPLAY + 5, WAIT_MS);
  const events = await page.events('es');
  const seqs = seqsOf(events, 'quote');
  const reset = events.find((e) => e.type === 'reset');
  const requests = sent();
  const recorded = record(events);
  return {
    events: recorded.events,
    readyState: await page.readyState('es'),
    counts: {
      opens: countOf(events, 'open'),
      resets: countOf(events, 'reset'),
      quotes: seqs.length,
      published: server.feed.latestSeq,
      ...lossAndDuplicates(seqs, server.feed.latestSeq),
      requests: requests.length,
    },
    server: {
      connections: tap.connections.length,
      ...(recorded.requests ? { requests: recorded.requests } : {}),
      counters: { resumed: server.stats.resumed, resets: server.stats.resets },
    },
    facts: {
      requestsFrom: recorded.requestsFrom,
      replayBuffer: GAP_REPLAY,
      lastEventIdSent: requests[1]?.headers['last-event-id'] ?? null,
      // The reset event's data as the page received it: {lastSeen, firstAvailable, missed, reason}.
      reset: reset ? (JSON.parse(String(reset.detail?.data)) as Json) : null,
      firstSeqAfterReset:
        seqsOf(
          events.filter((e) => reset && e.t >= reset.t),
          'quote',
        )[0] ?? null,
    },
  };
}

/**
 * The files of one transport's implementation in `servers/` or `clients/`: its own file plus the
 * modules it imports that no transport of another browser API imports, i.e. code only its kind
 * uses (the SSE event stream that servers/sse.ts and servers/sse-h2.ts share, the SSE client the
 * HTTP/2 one extends), not the infrastructure every transport shares. One level of imports.
 */
async function ownFiles(dir: 'servers' | 'clients', transport: NodeTransport): Promise<string[]> {
  const api = spec(transport).browserApi;
  const importsOf = async (t: string) => localImports(await readSource(`${dir}/${t}.ts`).catch(() => ''));
  const others = TRANSPORT_NAMES.filter((t) => TRANSPORTS[t].browserApi !== api);
  const shared = new Set((await Promise.all(others.map(importsOf))).flat());
  const own = (await importsOf(transport)).filter((m) => !shared.has(m));
  return [`${dir}/${transport}.ts`, ...own.map((m) => `${dir}/${m}`)];
}

/** Non-comment lines of the lab's parallel server and client code, and the npm packages it imports. */
async function codeSize(transport: NodeTransport): Promise<Observed> {
  const [serverFiles, clientFiles] = await Promise.all([ownFiles('servers', transport), ownFiles('clients', transport)]);
  const serverTexts = await Promise.all(serverFiles.map(readSource));
  const clientTexts = await Promise.all(clientFiles.map(readSource));
  const lines = (texts: string[]) => texts.reduce((sum, text) => sum + codeLines(text), 0);
  const packages = (texts: string[]) => [...new Set(texts.flatMap(packagesImported))].sort();
  const facts: Record<string, Json> = {
    serverFile: serverFiles[0]!,
    clientFile: clientFiles[0]!,
    serverFiles,
    clientFiles,
    serverPackages: packages(serverTexts),
    clientPackages: packages(clientTexts),
  };
  const counts: Record<string, number> = { serverLines: lines(serverTexts), clientLines: lines(clientTexts) };
  // The page's reconnect code for the browser API (one EventSource block serves SSE on any HTTP version); socket.io's is its library.
  const block = { EventSource: 'sse-reconnect', WebSocket: 'raw-ws-reconnect', 'socket.io': null, none: null }[
    spec(transport).browserApi ?? 'none'
  ];
  if (block) counts.browserReconnectLines = codeLines(between(await readSource('scenarios/page/lab-page.js'), block));
  return { counts, facts };
}

const browser = (
  transport: ScenarioTransport,
  id: string,
  title: string,
  claims: ClaimId[],
  setup: Record<string, Json>,
  run: (c: CaseContext) => Promise<Observed>,
): CaseSpec => ({ transport, case: id, client: 'browser', title, claims, setup, run });

const RETRIES: (number | null)[] = [100, 500, 1000, null];
const SSE_CLAIMS: ClaimId[] = ['sse-auto-reconnect', 'sse-event-ids-resume'];
/** What a drop case says about the protocol under EventSource: which HTTP, and TLS when it is always on. */
const over = (transport: ScenarioTransport) => (spec(transport).http === '2' ? ' over HTTP/2 (TLS)' : '');

/** Native EventSource: the retry sweep, a clean end, a restart and a gap, on every EventSource transport. */
function eventSourceCases(transport: ScenarioTransport): CaseSpec[] {
  const h = over(transport);
  return [
    ...RETRIES.map((retry) =>
      browser(
        transport,
        `retry-${retry ?? 'none'}-destroy`,
        `EventSource${h}, retry ${retry ?? 'not sent'}: socket destroyed, reconnect delay, Last-Event-ID, loss`,
        SSE_CLAIMS,
        { retryMs: retry, dropMode: 'destroy', quotes: '5 before, 5 away, 5 after' },
        (c) => sseDrop(c, transport, retry, 'destroy'),
      ),
    ),
    browser(
      transport,
      'retry-500-end',
      `EventSource${h}: the server ends the response cleanly`,
      SSE_CLAIMS,
      { retryMs: 500, dropMode: 'end' },
      (c) => sseDrop(c, transport, 500, 'end'),
    ),
    browser(
      transport,
      'restart',
      `EventSource${h}: server process killed (SIGKILL) and restarted on the same port`,
      SSE_CLAIMS,
      { retryMs: 500, rate: 20, kill: 'SIGKILL', downMs: 300 },
      (c) => restartCase(c, transport),
    ),
    browser(
      transport,
      'gap-reset',
      `EventSource${h}: away longer than the replay buffer holds; the resume names the gap (event: reset)`,
      ['sse-event-ids-resume'],
      { retryMs: 500, dropMode: 'destroy', replay: GAP_REPLAY, quotes: `5 before, ${2 * GAP_REPLAY} away, 5 after` },
      (c) => gapReset(c, transport),
    ),
  ];
}

/** The fixture's streams that end and are answered 204 / 500 / text/plain: plain HTTP/1.1, so EventSource transports on it. */
function endsCases(transport: ScenarioTransport): CaseSpec[] {
  return (['204', '500', 'wrong-type', 'ok'] as const).map((answer) =>
    browser(
      transport,
      answer === 'ok' ? 'ends-control-200' : `ends-${answer}`,
      answer === 'ok'
        ? 'EventSource: every answer is a stream that ends (control: keeps reconnecting)'
        : `EventSource: the reconnect is answered ${answer === 'wrong-type' ? '200 text/plain' : answer}`,
      ['sse-auto-reconnect'],
      { retryMs: 200, answer, watchMs: 1500 },
      (c) => endsFor(c, answer),
    ),
  );
}

function webSocketCases(transport: ScenarioTransport): CaseSpec[] {
  return [
    browser(
      transport,
      'destroy',
      'Raw WebSocket: socket destroyed; does it reconnect by itself?',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'destroy', watchMs: QUIET_MS },
      (c) => wsDrop(c, transport, 'destroy'),
    ),
    browser(
      transport,
      'end',
      'Raw WebSocket: the server closes it (1001)',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'end', watchMs: QUIET_MS },
      (c) => wsDrop(c, transport, 'end'),
    ),
    browser(
      transport,
      'hand-written-resume',
      'Raw WebSocket with the hand-written reconnect + ?since= resume of lab-page.js',
      ['ws-needs-library-to-reconnect', 'sse-simpler'],
      { reconnectDelayMs: 500, dropMode: 'destroy' },
      (c) => wsHandWritten(c, transport),
    ),
  ];
}

function socketIoCases(transport: ScenarioTransport): CaseSpec[] {
  return [
    browser(
      transport,
      'destroy',
      'socket.io: socket destroyed; reconnection and connection state recovery',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'destroy', reconnectionDelay: 500, randomizationFactor: 0, transports: ['websocket'] },
      (c) => socketIoDrop(c, transport, 'destroy'),
    ),
    browser(
      transport,
      'server-disconnect',
      'socket.io: the server disconnects the socket (io server disconnect)',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'end', watchMs: QUIET_MS, reconnectionDelay: 500, randomizationFactor: 0, transports: ['websocket'] },
      (c) => socketIoDrop(c, transport, 'end'),
    ),
    browser(
      transport,
      'restart',
      'socket.io: server process killed (SIGKILL) and restarted on the same port',
      ['ws-needs-library-to-reconnect'],
      { rate: 20, kill: 'SIGKILL', downMs: 300, reconnectionDelay: 500, randomizationFactor: 0 },
      (c) => restartCase(c, transport),
    ),
  ];
}

/** The browser cases a transport's browser API calls for. */
const BROWSER_CASES = {
  EventSource: (t: ScenarioTransport) => [...eventSourceCases(t), ...(readableHttp1(spec(t)) ? endsCases(t) : [])],
  WebSocket: webSocketCases,
  'socket.io': socketIoCases,
} satisfies Record<BrowserApi, (t: ScenarioTransport) => CaseSpec[]>;

export const reconnect: ScenarioSpec = {
  name: 'reconnect',
  title: 'What each transport does when the server drops, ends or restarts',
  cases: [
    ...SCENARIO_TRANSPORTS.flatMap((t) => BROWSER_CASES[spec(t).browserApi!](t)),
    ...NODE_CLIENTS.map(
      (transport): CaseSpec => ({
        transport,
        case: 'node-destroy',
        client: 'node',
        title: `Node client (clients/${transport}.ts): socket destroyed, resume`,
        claims: spec(transport).browserApi === 'EventSource' ? SSE_CLAIMS : ['ws-needs-library-to-reconnect'],
        setup: { retryMs: 200, reconnectMs: 200, dropMode: 'destroy' },
        run: (c) => nodeDrop(c, transport),
      }),
    ),
    ...NODE_CLIENTS.map(
      (transport): CaseSpec => ({
        transport,
        case: 'code-size',
        client: 'node',
        title: `Non-comment lines of servers/${transport}.ts and clients/${transport}.ts (with the modules only their kind uses), packages`,
        claims: ['sse-simpler'],
        setup: { counted: 'non-blank lines outside comments' },
        run: () => codeSize(transport),
      }),
    ),
  ],
};
