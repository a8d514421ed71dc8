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
 * The restart cases run the server as its own process (the CLI contract, 20 quotes/s), kill it
 * with SIGKILL and start it again on the same port. The "ends for good" cases use the fixture
 * server: a first stream (retry 200 ms) that ends, then a 204 / 500 / text/plain answer; the
 * number of requests in the following 1.5 s (7 retry periods) shows whether EventSource gave up.
 * Node-client cases repeat the drop with clients/ (eventsource package, hand-written ws loop,
 * socket.io-client). `code-size` counts non-comment lines of the lab's parallel files and of the
 * page's two reconnect blocks (scenarios/page/lab-page.js: `sse-reconnect`, the plain EventSource
 * the SSE drop cases run; `raw-ws-reconnect`, the loop the hand-written-resume case runs).
 *
 * Samples: one drop per case. Invalidated by: a loaded machine stretching delays (the delay
 * figures are single samples; the retry comparison holds only while delay >> scheduling noise).
 */
import { createClient } from '../clients/index.ts';
import type { Transport } from '../servers/transports.ts';
import { spawnServer, type SpawnedServer } from '../scripts/lib/spawn-server.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import { portOf, sleep, until, type CaseContext, type CaseSpec, type ScenarioSpec } from './harness.ts';
import type { ThenAnswer } from './fixtures/http-fixtures.ts';
import { between, codeLines, countOf, lossAndDuplicates, packagesImported, publish, readSource, round, seqsOf } from './measure.ts';
import type { Json, Observed, ScenarioTransport, TimedEvent } from './types.ts';

const WAIT_MS = 6000;
/** How long a case watches for a reconnect that should not come. */
const QUIET_MS = 2000;

function timesOf(events: TimedEvent[], type: string): number[] {
  return events.filter((e) => e.type === type).map((e) => e.t);
}

/** SSE in Chromium: drop, publish while away, come back. */
async function sseDrop(c: CaseContext, retryMs: number | null, mode: 'destroy' | 'end'): Promise<Observed> {
  const server = await c.lab('sse', { retryMs });
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) } });
  const page = await c.page();
  await page.call('resumingEventSource', 'es', tap.url('http', '/sse'));
  await page.waitForEvents('es', 'open', 1, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 5, WAIT_MS);
  const beforeDrop = await page.events('es');
  const dropAt = c.elapsed();
  server.drop(mode);
  await until(() => server.stats.connections === 0, 2000);
  publish(server, 5);
  await until(() => tap.requests.length >= 2, (retryMs ?? 3000) + WAIT_MS);
  await page.waitForEvents('es', 'open', 2, WAIT_MS);
  publish(server, 5);
  await page.waitForEvents('es', 'quote', 15, WAIT_MS);
  const events = await page.events('es');
  const seqs = seqsOf(events, 'quote');
  const requests = tap.requests;
  const reconnect = requests[1];
  const lastIdBeforeDrop = beforeDrop.filter((e) => e.type === 'quote').at(-1)?.detail?.lastEventId ?? null;
  const errorAt = timesOf(events, 'error').find((t) => t >= dropAt);
  return {
    events,
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
    server: { connections: tap.connections.length, requests, counters: { resumed: server.stats.resumed, resets: server.stats.resets } },
    facts: {
      retryMs,
      dropMode: mode,
      dropAtMs: dropAt,
      reconnectDelayMs: reconnect ? round(reconnect.t - dropAt) : null,
      errorEventAfterDropMs: errorAt === undefined ? null : round(errorAt - dropAt),
      lastEventIdBeforeDrop: lastIdBeforeDrop,
      lastEventIdSent: reconnect?.headers['last-event-id'] ?? null,
      reconnectReusedConnection: reconnect ? reconnect.connection === requests[0]!.connection : null,
    },
  };
}

/** A lab server as its own process, killable and restartable on the same port. */
async function restartable(c: CaseContext, transport: Transport) {
  const args = ['--rate', '20', '--retry', '500', '--heartbeat', 'off', '--allow-origin', c.h.pageOrigin];
  let current: SpawnedServer = await spawnServer(transport, ['--port', '0', ...args]);
  const port = portOf(current.ready.url);
  c.defer(() => current.stop('SIGKILL'));
  const stats = async () =>
    (await (await fetch(`http://127.0.0.1:${port}/stats`, { signal: AbortSignal.timeout(WAIT_MS) })).json()) as {
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

async function restartCase(c: CaseContext, transport: 'sse' | 'socketio'): Promise<Observed> {
  const server = await restartable(c, transport);
  const tap = await c.tap({ target: { host: '127.0.0.1', port: server.port } });
  const page = await c.page();
  const quoteType = transport === 'sse' ? 'quote' : 'message';
  if (transport === 'sse') await page.call('eventSource', 'c', tap.url('http', '/sse'));
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
  const firstAfterKill = tap.requests.find((r) => r.t > killAt);
  const after = await server.stats();
  return {
    events,
    readyState: transport === 'sse' ? await page.readyState('c') : null,
    counts: {
      quotesBefore: seqsBefore.length,
      quotesAfter: seqsAfter.length,
      repeatedSeqs: seqsAfter.filter((s) => s <= lastBefore).length,
      requests: tap.requests.length,
      tcpConnections: tap.connections.length,
      refusedWhileDown: tap.connections.filter((x) => x.endedBy === 'upstream-down').length,
    },
    server: {
      connections: tap.connections.length,
      requests: tap.requests.slice(0, 50),
      counters: { resumedAfterRestart: after.resumed, latestSeqAtKill: latestAtKill },
    },
    facts: {
      killAtMs: killAt,
      restartedAtMs: restartedAt,
      reconnected: reopened,
      lastSeqBeforeKill: lastBefore,
      // A lower bound: the feed (20/s) keeps publishing between the stats read and the SIGKILL.
      lostInFlightAtLeast: Math.max(0, latestAtKill - lastBefore),
      firstSeqAfterRestart: seqsAfter[0] ?? null,
      seqWentBack: seqsAfter[0] !== undefined && seqsAfter[0] <= lastBefore,
      lastEventIdSent: transport === 'sse' ? (firstAfterKill?.headers['last-event-id'] ?? null) : null,
      recoveredAfterRestart: transport === 'socketio' ? ((opens.at(-1)?.detail?.recovered as boolean | undefined) ?? null) : null,
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
async function wsDrop(c: CaseContext, mode: 'destroy' | 'end'): Promise<Observed> {
  const server = await c.lab('ws');
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
async function wsHandWritten(c: CaseContext): Promise<Observed> {
  const server = await c.lab('ws');
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

/** socket.io in Chromium: `destroy` (a network drop: it reconnects and recovers) or `end` (the server disconnects it). */
async function socketIoDrop(c: CaseContext, mode: 'destroy' | 'end'): Promise<Observed> {
  const server = await c.lab('socketio');
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
async function nodeDrop(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const server = await c.lab(transport, { retryMs: 200 });
  const client = createClient(transport, { url: server.url, reconnectMs: 200 });
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

/** Non-comment lines of the lab's parallel server and client files, and the npm packages each imports. */
async function codeSize(transport: ScenarioTransport): Promise<Observed> {
  const serverText = await readSource(`servers/${transport}.ts`);
  const clientText = await readSource(`clients/${transport}.ts`);
  const facts: Record<string, Json> = {
    serverFile: `servers/${transport}.ts`,
    clientFile: `clients/${transport}.ts`,
    serverPackages: packagesImported(serverText),
    clientPackages: packagesImported(clientText),
  };
  const counts: Record<string, number> = { serverLines: codeLines(serverText), clientLines: codeLines(clientText) };
  const block = { sse: 'sse-reconnect', ws: 'raw-ws-reconnect' } as const;
  if (transport !== 'socketio')
    counts.browserReconnectLines = codeLines(between(await readSource('scenarios/page/lab-page.js'), block[transport]));
  return { counts, facts };
}

const browser = (
  transport: ScenarioTransport,
  id: string,
  title: string,
  claims: ClaimId[],
  setup: Record<string, Json>,
  run: (c: CaseContext) => Promise<Observed>,
): CaseSpec => ({ transport, case: id, client: 'chromium', title, claims, setup, run });

const RETRIES: (number | null)[] = [100, 500, 1000, null];

export const reconnect: ScenarioSpec = {
  name: 'reconnect',
  title: 'What each transport does when the server drops, ends or restarts',
  cases: [
    ...RETRIES.map((retry) =>
      browser(
        'sse',
        `retry-${retry ?? 'none'}-destroy`,
        `EventSource, retry ${retry ?? 'not sent'}: socket destroyed, reconnect delay, Last-Event-ID, loss`,
        ['sse-auto-reconnect', 'sse-event-ids-resume'],
        { retryMs: retry, dropMode: 'destroy', quotes: '5 before, 5 away, 5 after' },
        (c) => sseDrop(c, retry, 'destroy'),
      ),
    ),
    browser(
      'sse',
      'retry-500-end',
      'EventSource: the server ends the response cleanly',
      ['sse-auto-reconnect', 'sse-event-ids-resume'],
      { retryMs: 500, dropMode: 'end' },
      (c) => sseDrop(c, 500, 'end'),
    ),
    browser(
      'sse',
      'restart',
      'EventSource: server process killed (SIGKILL) and restarted on the same port',
      ['sse-auto-reconnect', 'sse-event-ids-resume'],
      { retryMs: 500, rate: 20, kill: 'SIGKILL', downMs: 300 },
      (c) => restartCase(c, 'sse'),
    ),
    ...(['204', '500', 'wrong-type', 'ok'] as const).map((answer) =>
      browser(
        'sse',
        answer === 'ok' ? 'ends-control-200' : `ends-${answer}`,
        answer === 'ok'
          ? 'EventSource: every answer is a stream that ends (control: keeps reconnecting)'
          : `EventSource: the reconnect is answered ${answer === 'wrong-type' ? '200 text/plain' : answer}`,
        ['sse-auto-reconnect'],
        { retryMs: 200, answer, watchMs: 1500 },
        (c) => endsFor(c, answer),
      ),
    ),
    browser(
      'ws',
      'destroy',
      'Raw WebSocket: socket destroyed; does it reconnect by itself?',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'destroy', watchMs: QUIET_MS },
      (c) => wsDrop(c, 'destroy'),
    ),
    browser(
      'ws',
      'end',
      'Raw WebSocket: the server closes it (1001)',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'end', watchMs: QUIET_MS },
      (c) => wsDrop(c, 'end'),
    ),
    browser(
      'ws',
      'hand-written-resume',
      'Raw WebSocket with the hand-written reconnect + ?since= resume of lab-page.js',
      ['ws-needs-library-to-reconnect', 'sse-simpler'],
      { reconnectDelayMs: 500, dropMode: 'destroy' },
      wsHandWritten,
    ),
    browser(
      'socketio',
      'destroy',
      'socket.io: socket destroyed; reconnection and connection state recovery',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'destroy', reconnectionDelay: 500, randomizationFactor: 0, transports: ['websocket'] },
      (c) => socketIoDrop(c, 'destroy'),
    ),
    browser(
      'socketio',
      'server-disconnect',
      'socket.io: the server disconnects the socket (io server disconnect)',
      ['ws-needs-library-to-reconnect'],
      { dropMode: 'end', watchMs: QUIET_MS, reconnectionDelay: 500, randomizationFactor: 0, transports: ['websocket'] },
      (c) => socketIoDrop(c, 'end'),
    ),
    browser(
      'socketio',
      'restart',
      'socket.io: server process killed (SIGKILL) and restarted on the same port',
      ['ws-needs-library-to-reconnect'],
      { rate: 20, kill: 'SIGKILL', downMs: 300, reconnectionDelay: 500, randomizationFactor: 0 },
      (c) => restartCase(c, 'socketio'),
    ),
    ...(['sse', 'ws', 'socketio'] as const).map(
      (transport): CaseSpec => ({
        transport,
        case: 'node-destroy',
        client: 'node',
        title: `Node client (clients/${transport}.ts): socket destroyed, resume`,
        claims: transport === 'sse' ? ['sse-auto-reconnect', 'sse-event-ids-resume'] : ['ws-needs-library-to-reconnect'],
        setup: { retryMs: 200, reconnectMs: 200, dropMode: 'destroy' },
        run: (c) => nodeDrop(c, transport),
      }),
    ),
    ...(['sse', 'ws', 'socketio'] as const).map(
      (transport): CaseSpec => ({
        transport,
        case: 'code-size',
        client: 'node',
        title: `Non-comment lines of servers/${transport}.ts and clients/${transport}.ts, packages they import`,
        claims: ['sse-simpler'],
        setup: { counted: 'non-blank lines outside comments' },
        run: () => codeSize(transport),
      }),
    ),
  ],
};
