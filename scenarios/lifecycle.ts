/**
 * Scenario `lifecycle`: a page that goes away for a while and comes back — frozen in the background and resumed, or
 * left for another page and restored from the back/forward cache (bfcache) — and what each transport missed and how
 * long it took to be live again.
 *
 * Method. A lab server runs in this process with its feed running (RATE quotes/s) and the lab's default heartbeat on
 * every transport (HEARTBEAT_MS: SSE `:` comments; ws protocol pings, a peer that has not answered by the next one is
 * terminated; socket.io's pingInterval, with socket.io's own default pingTimeout of SOCKET_IO_PING_TIMEOUT_MS after it),
 * SSE's default `retry:` and replay buffer, and socket.io's connection state recovery; a wire tap in front records each
 * TCP connection: when it opened, when it closed and which side closed it (over HTTP/2 it sees TLS records only, so
 * connections and closes but no request heads). The page opens the transport's own browser client with its defaults
 * (EventSource, a raw WebSocket, socket.io's client) and waits for FIRST_QUOTES quotes. Then:
 * - `frozen` (Chromium only: DevTools `Page.setWebLifecycleState`; WebDriver BiDi has no such command): the page is
 *   frozen, as Chromium freezes a background tab (it is hidden, then its timers and tasks stop), and set active again.
 * - `bfcache` and `bfcache-no-store`: the page comes from a page server of the case's own, as an app's HTML would
 *   (scripts from the harness's page server), with no Cache-Control header or with `Cache-Control: no-store` (which
 *   many apps send for their HTML, and which both engines weigh when deciding to keep a page). The tab navigates to
 *   another page of the same origin, stays there and goes back with `history.back()` (puppeteer's goBack waits for a
 *   load that a restored page never fires in Firefox). The page's `pageshow` says whether it was restored from the
 *   bfcache (`persisted`); if it was not, the page was loaded again with a new log, and the case opens the client
 *   again as an app's start-up code would. Before that, a control round trip with no connection open says whether
 *   this engine restores this page from the bfcache at all. Chromium's reasons for not restoring come from DevTools
 *   (`Page.backForwardCacheNotUsed`); Firefox does not report them over WebDriver BiDi.
 * A frozen page stays frozen FREEZE_MS.quick in the quick profile, shorter than any heartbeat's limit, and
 * FREEZE_MS.full with --full: longer than socket.io's documented default pingInterval + pingTimeout (25 s + 20 s) and
 * the lab's (15 s + 20 s). A bfcache trip lasts BFCACHE_AWAY_MS in both profiles (a user who glanced at another page):
 * in a 75-s trial run Chromium evicted a page that kept a request open after about a minute (NetworkRequestTimeout)
 * and loaded it anew, which a longer trip here would measure instead of the cache.
 * After the page is back the case waits up to LIVE_WAIT_MS for a quote published after the return, then AFTER_MS
 * more, stops the feed and lets the last quotes land. Counts cover the window after the last quote the page had
 * before it went away: published = the feed's last seq minus that one; received + lost = published; lostWhileAway
 * are the quotes published while the page was away that never arrived (neither held in a buffer nor replayed).
 * `liveAgainMs`: from the moment the page was brought back (DevTools' `active`, or history.back()) to the first quote
 * published after that moment, as the page logged it (both clocks are this host's).
 *
 * Records keep every event but quotes, and the quotes at the seams (the last before, the first after, the first live).
 *
 * Samples: one absence per case. Invalidated by: a loaded machine stretching the times (single samples; the counts
 * hold regardless); a bfcache eviction for memory pressure (Chromium reports it as a reason).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CDPSession } from 'puppeteer-core';
import type { RunningServer } from '../servers/listen.ts';
import { SERVER_DEFAULTS } from '../servers/options.ts';
import { devtools } from '../scripts/lib/browser.ts';
import type { ClaimId } from '../scripts/lib/claims.ts';
import { type BrowserApi, endpointPath, httpScheme, spec, tlsOnly } from './capabilities.ts';
import { type CaseContext, type CaseSpec, type LabPage, portOf, type ScenarioSpec, sleep, until } from './harness.ts';
import type { Tap, TapConnection } from './fixtures/tap.ts';
import { round, seqsOf } from './measure.ts';
import { type Json, type Observed, SCENARIO_TRANSPORTS, type ScenarioTransport, type TimedEvent } from './types.ts';

/** Quotes per second while the page is away: enough that every absence misses many. */
const RATE = 10;
/** How long the page stays frozen, ms: quick (the tests, `npm run scenarios`) and full (--full). */
const FREEZE_MS = { quick: 5000, full: 75_000 } as const;
/** How long a bfcache trip stays on the other page, ms (both profiles; see the header). */
const BFCACHE_AWAY_MS = 5000;
/** The lab's heartbeat on every transport (servers/options.ts). */
const HEARTBEAT_MS = SERVER_DEFAULTS.heartbeatMs;
/** socket.io's default pingTimeout (the lab does not set it): the server closes a peer silent for pingInterval + this. */
const SOCKET_IO_PING_TIMEOUT_MS = 20_000;
/** Quotes the page must have before it goes away. */
const FIRST_QUOTES = 5;
/** How long the page gets to be live again: above SSE's retry (3 s) and socket.io's first reconnection delay (at most 1.5 s). */
const LIVE_WAIT_MS = 8000;
/** Watched after the page is live again (or gave up), before the feed stops. */
const AFTER_MS = 2000;
/** The control round trip's stay on the other page. */
const CONTROL_AWAY_MS = 300;
const WAIT_MS = 6000;
/** The client's handle name in the page. */
const NAME = 'x';

/** How a transport's client logs a quote: EventSource `quote` events, WebSocket and socket.io `message`s with a seq. */
const quoteType = (transport: ScenarioTransport) => (spec(transport).browserApi === 'EventSource' ? 'quote' : 'message');

/** The page's events of the client and of the page itself (lifecycle), the client's tolerant of a page mid-navigation. */
async function pageEvents(page: LabPage): Promise<TimedEvent[]> {
  return (await page.events().catch(() => [])).filter((e) => e.source === NAME || e.source === 'page');
}

/** A lab server as the case runs it (feed running, default heartbeat, retry and replay) behind a wire tap. */
async function served(c: CaseContext, transport: ScenarioTransport, extraOrigins: string[] = []) {
  const server = await c.lab(transport, {
    rate: RATE,
    heartbeatMs: HEARTBEAT_MS,
    retryMs: SERVER_DEFAULTS.retryMs,
    allowOrigins: [...c.h.pageOrigins, ...extraOrigins],
  });
  const tap = await c.tap({ target: { host: '127.0.0.1', port: portOf(server.url) }, opaque: tlsOnly(transport) });
  const scheme = spec(transport).browserApi === 'WebSocket' ? 'ws' : httpScheme(transport);
  return { server, tap, url: tap.url(scheme, endpointPath(server.url)) };
}

/** Opens the client and waits for its first quotes; throws if none come (nothing to measure a return against). */
async function openAndWait(page: LabPage, transport: ScenarioTransport, url: string): Promise<void> {
  await page.openClient(transport, NAME, url);
  if (!(await page.waitForEvents(NAME, quoteType(transport), FIRST_QUOTES, WAIT_MS)))
    throw new Error(`lab: the ${spec(transport).browserApi} client got fewer than ${FIRST_QUOTES} quotes before the page went away`);
}

/** When the page went away and came back, on the case's clock, and the feed's last seq at each moment. */
interface Absence {
  leftAt: number;
  seqAtLeave: number;
  backAt: number;
  seqAtBack: number;
  /** The clients the server held (SSE streams, WebSockets, socket.io sockets) when the page left and when it came back. */
  serverClientsAtLeave: number;
  serverClientsAtBack: number;
}

/** Waits for the page to be live again (a quote published after it came back), watches AFTER_MS, stops the feed. */
async function settle(page: LabPage, server: RunningServer, transport: ScenarioTransport, seqAtBack: number): Promise<void> {
  const seqs = async () => seqsOf(await pageEvents(page), quoteType(transport));
  await until(async () => (await seqs()).some((s) => s > seqAtBack), LIVE_WAIT_MS, 100);
  await sleep(AFTER_MS);
  server.feed.stop();
  const last = server.feed.latestSeq;
  await until(async () => (await seqs()).includes(last), 1000, 100);
}

/** What a TCP connection carried, from its first request head: a WebSocket, socket.io's long-polling, an event stream; null under TLS. */
function carried(x: TapConnection): 'websocket' | 'long-polling' | 'event-stream' | null {
  const first = x.requests[0];
  if (!first) return null;
  if (first.headers.upgrade?.toLowerCase() === 'websocket') return 'websocket';
  return first.path.includes('transport=polling') ? 'long-polling' : 'event-stream';
}

/**
 * What the client got around the absence: the window's counts, the seams, how long until live again, what the page's
 * client reported after the return, and what became of the connection(s) open when the page left (from the tap).
 */
function measure(
  transport: ScenarioTransport,
  server: RunningServer,
  tap: Tap,
  events: TimedEvent[],
  away: Absence,
): { counts: Record<string, number>; facts: Record<string, Json>; events: TimedEvent[] } {
  const type = quoteType(transport);
  const quotes = events.filter((e) => e.source === NAME && e.type === type && typeof e.detail?.seq === 'number');
  const seq = (e: TimedEvent) => e.detail!.seq as number;
  const before = quotes.filter((e) => e.t < away.leftAt);
  const lastBefore = Math.max(0, ...before.map(seq));
  const latest = server.feed.latestSeq;
  const inWindow = quotes.filter((e) => seq(e) > lastBefore);
  const seen = new Set(inWindow.map(seq));
  const published = latest - lastBefore;
  const publishedWhileAway = away.seqAtBack - lastBefore;
  let lostWhileAway = 0;
  for (let s = lastBefore + 1; s <= away.seqAtBack; s++) if (!seen.has(s)) lostWhileAway++;
  const afterBack = quotes.filter((e) => e.t >= away.backAt);
  const firstAfter = afterBack[0];
  const live = afterBack.find((e) => seq(e) > away.seqAtBack);
  const client = events.filter((e) => e.source === NAME && e.t >= away.backAt);
  const count = (kind: string) => client.filter((e) => e.type === kind).length;
  const firstClose = client.find((e) => e.type === 'close');
  const opens = client.filter((e) => e.type === 'open');
  // The TCP connections open when the page left: what each carried, which side closed it and when, ms after the page
  // left (null: still open). After a WebSocket close handshake the server closes TCP, whichever side began it.
  const open = tap.connections.filter((x) => x.openedAt < away.leftAt && (x.closedAt === undefined || x.closedAt > away.leftAt));
  const fates = open.map((x) => ({
    carried: carried(x),
    tcpClosedBy: x.endedBy ?? null,
    closedAfterLeaveMs: x.closedAt === undefined ? null : round(x.closedAt - away.leftAt),
  }));
  // Only the client's own connection counts: an idle long-polling connection closes on the server's keep-alive timeout.
  const closedWhileAway = (by: string) =>
    open.some((x) => carried(x) !== 'long-polling' && x.endedBy === by && x.closedAt !== undefined && x.closedAt <= away.backAt);
  const requestsAfter = tap.requests.filter((r) => r.t >= away.backAt);
  const seam = new Set([before.at(-1), firstAfter, live].filter((e) => e !== undefined));
  return {
    events: events.filter((e) => !quotes.includes(e) || seam.has(e)),
    counts: {
      published,
      received: seen.size,
      lost: published - seen.size,
      duplicated: inWindow.length - seen.size,
      publishedWhileAway,
      lostWhileAway,
      deliveredLate: publishedWhileAway - lostWhileAway,
      opensAfterBack: opens.length,
      closesAfterBack: count('close'),
      errorsAfterBack: count('error'),
      reconnectAttempts: count('reconnect_attempt'),
      // Quotes after the return whose seq is not above the one before: a replay that overlapped, or a reordering.
      outOfOrderAfterBack: afterBack.filter((e, i) => i > 0 && seq(e) <= seq(afterBack[i - 1]!)).length,
      tcpConnectionsAfterBack: tap.connections.filter((x) => x.openedAt >= away.backAt).length,
    },
    facts: {
      awayMs: round(away.backAt - away.leftAt),
      lastSeqBeforeAway: lastBefore,
      seqAtLeave: away.seqAtLeave,
      seqAtBack: away.seqAtBack,
      lastSeqPublished: latest,
      firstSeqAfterBack: firstAfter ? seq(firstAfter) : null,
      // Quotes skipped where the stream picked up again: 0 when it went on with the next one (held or replayed).
      seqGapAtSeam: firstAfter ? seq(firstAfter) - lastBefore - 1 : null,
      firstQuoteAfterBackMs: firstAfter ? round(firstAfter.t - away.backAt) : null,
      liveAgainMs: live ? round(live.t - away.backAt) : null,
      liveWaitMs: LIVE_WAIT_MS,
      serverClientsAtLeave: away.serverClientsAtLeave,
      serverClientsAtBack: away.serverClientsAtBack,
      connectionsOpenAtLeave: fates as unknown as Json,
      tcpClosedByServerWhileAway: closedWhileAway('server'),
      tcpClosedByBrowserWhileAway: closedWhileAway('client'),
      firstCloseAfterBack: firstClose ? ((firstClose.detail ?? {}) as Json) : null,
      // How a reconnect resumed: socket.io's recovery flag; the Last-Event-ID on EventSource's first request after the return.
      recovered: spec(transport).resume === 'recovery' ? ((opens.at(-1)?.detail?.recovered as boolean | undefined) ?? null) : null,
      lastEventIdSent: spec(transport).browserApi === 'EventSource' ? (requestsAfter[0]?.headers['last-event-id'] ?? null) : null,
      requestsFrom: tlsOnly(transport) ? 'none: the tap sees TLS records only (connections and closes)' : 'wire tap (server side)',
    },
  };
}

/** The server side's counters at the end. */
const counters = (server: RunningServer) => ({
  resumed: server.stats.resumed,
  resets: server.stats.resets,
  dropped: server.stats.dropped,
  peakConnections: server.stats.peakConnections,
});

/** Chromium: frozen through DevTools for the profile's FREEZE_MS, then active again. */
async function frozen(c: CaseContext, transport: ScenarioTransport): Promise<Observed> {
  const { server, tap, url } = await served(c, transport);
  const page = await c.page();
  const cdp = await devtools(page.context, page.page);
  if (!cdp) throw new Error('lab: freezing a page needs Chromium DevTools');
  await openAndWait(page, transport, url);
  const transportAtLeave = spec(transport).browserApi === 'socket.io' ? await page.call<string | null>('transportName', NAME) : null;
  const awayMs = c.h.full ? FREEZE_MS.full : FREEZE_MS.quick;
  const leftAt = c.elapsed();
  const seqAtLeave = server.feed.latestSeq;
  const serverClientsAtLeave = server.stats.connections;
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  await sleep(awayMs);
  const backAt = c.elapsed();
  const seqAtBack = server.feed.latestSeq;
  const serverClientsAtBack = server.stats.connections;
  await cdp.send('Page.setWebLifecycleState', { state: 'active' });
  await settle(page, server, transport, seqAtBack);
  const events = await pageEvents(page);
  const result = measure(transport, server, tap, events, {
    leftAt,
    seqAtLeave,
    backAt,
    seqAtBack,
    serverClientsAtLeave,
    serverClientsAtBack,
  });
  const resumed = events.find((e) => e.source === 'page' && e.type === 'resume' && e.t >= backAt);
  return recorded(c, page, tap, server, result, {
    frozenMs: awayMs,
    ...result.facts,
    frozenEventSeen: events.some((e) => e.source === 'page' && e.type === 'freeze'),
    resumeEventAfterMs: resumed ? round(resumed.t - backAt) : null,
    reconnectedByItself: result.counts.opensAfterBack! > 0,
    transportAtLeave,
  });
}

/** A case's record: the measured window, the page's end state and the server side, with the profile and the case's facts. */
async function recorded(
  c: CaseContext,
  page: LabPage,
  tap: Tap,
  server: RunningServer,
  result: ReturnType<typeof measure>,
  facts: Record<string, Json>,
): Promise<Observed> {
  return {
    events: result.events,
    readyState: await page.readyState(NAME),
    counts: result.counts,
    server: { connections: tap.connections.length, requests: tap.requests, counters: counters(server) },
    facts: { profile: c.h.full ? 'full' : 'quick', ...facts },
  };
}

/** The page server of a bfcache case: its page (with or without no-store) and another page on the same origin. */
async function pageServer(c: CaseContext, cacheControl: string | null): Promise<string> {
  const scripts = ['/vendor/socket.io.min.js', '/lab-page.js'].map((path) => `<script src="${c.h.pageOrigin}${path}"></script>`);
  const pages: Record<string, string> = {
    '/': `<!doctype html><meta charset="utf-8"><title>lab lifecycle</title>${scripts.join('')}`,
    '/away': '<!doctype html><meta charset="utf-8"><title>away</title><p>another page on the same origin</p>',
  };
  const server: Server = createServer((req, res) => {
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname];
    // Nothing else answers with a page: Chromium counts a no-store answer to the page's favicon request against
    // restoring it (JsNetworkRequestReceivedCacheControlNoStoreResource).
    if (!page) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...(cacheControl ? { 'Cache-Control': cacheControl } : {}) });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  c.defer(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Chromium's reasons for each back navigation the bfcache did not serve (reason names, in DevTools' order). */
async function notRestoredReasons(cdp: CDPSession | undefined): Promise<string[][] | null> {
  if (!cdp) return null;
  const seen: string[][] = [];
  await cdp.send('Page.enable');
  cdp.on('Page.backForwardCacheNotUsed', (event) => seen.push(event.notRestoredExplanations.map((x) => x.reason)));
  return seen;
}

/** Runs `script` in the page, which navigates it: the call may fail as its document goes away under it. */
const navigateBy = (page: LabPage, script: (url: string) => void, url = '') => page.page.evaluate(script, url).catch(() => undefined);

/**
 * Navigates the tab to `awayUrl`, stays `awayMs`, goes back with history.back() and waits for the page's pageshow.
 * Returns the times, whether the page came back from the bfcache, and when it showed. Both navigations are the page's
 * own (location, history): puppeteer's goto and goBack wait for a load that a page restored from the bfcache never
 * fires, and after such a restore its Firefox driver loses track of the page's URL.
 */
async function leaveAndReturn(c: CaseContext, page: LabPage, awayUrl: string, awayMs: number, onBack: () => void = () => undefined) {
  const leftAt = c.elapsed();
  await navigateBy(page, (url) => location.assign(url), awayUrl);
  const arrived = await until(
    () => page.page.evaluate(() => location.pathname === '/away' && document.readyState === 'complete').catch(() => false),
    WAIT_MS,
  );
  if (!arrived) throw new Error(`lab: the other page did not load within ${WAIT_MS} ms`);
  await sleep(awayMs);
  const backAt = c.elapsed();
  onBack();
  await navigateBy(page, () => history.back());
  let shown: TimedEvent | undefined;
  await until(async () => {
    shown = (await pageEvents(page)).find((e) => e.source === 'page' && e.type === 'pageshow' && e.t >= backAt);
    return shown !== undefined;
  }, WAIT_MS);
  if (!shown) throw new Error(`lab: no pageshow within ${WAIT_MS} ms of history.back()`);
  return { leftAt, backAt, restored: shown.detail?.persisted === true, shownAt: shown.t };
}

async function bfcache(c: CaseContext, transport: ScenarioTransport, cacheControl: string | null): Promise<Observed> {
  const origin = await pageServer(c, cacheControl);
  const { server, tap, url } = await served(c, transport, [origin]);
  const page = await c.page({ url: `${origin}/` });
  const cdp = await devtools(page.context, page.page);
  const reasons = await notRestoredReasons(cdp);
  const control = await leaveAndReturn(c, page, `${origin}/away`, CONTROL_AWAY_MS);
  const controlReasons = reasons?.splice(0) ?? null;
  await openAndWait(page, transport, url);
  // A page loaded again starts a new log: what the client got before leaving is kept from here.
  const before = await pageEvents(page);
  const seqAtLeave = server.feed.latestSeq;
  const serverClientsAtLeave = server.stats.connections;
  let seqAtBack = 0;
  let serverClientsAtBack = 0;
  const trip = await leaveAndReturn(c, page, `${origin}/away`, BFCACHE_AWAY_MS, () => {
    seqAtBack = server.feed.latestSeq;
    serverClientsAtBack = server.stats.connections;
  });
  // Not restored: a new page, as an app's start-up code would, opens its client again.
  if (!trip.restored) await page.openClient(transport, NAME, url);
  await settle(page, server, transport, seqAtBack);
  const after = await pageEvents(page);
  const events = trip.restored ? after : [...before, ...after];
  const { leftAt, backAt } = trip;
  const result = measure(transport, server, tap, events, {
    leftAt,
    seqAtLeave,
    backAt,
    seqAtBack,
    serverClientsAtLeave,
    serverClientsAtBack,
  });
  return recorded(c, page, tap, server, result, {
    pageCacheControl: cacheControl,
    controlPageRestored: control.restored,
    controlNotRestoredReasons: controlReasons?.flat() ?? null,
    restoredFromBfcache: trip.restored,
    notRestoredReasons: reasons?.flat() ?? null,
    notRestoredReasonsFrom: cdp ? 'Chromium DevTools (Page.backForwardCacheNotUsed)' : 'not reported (WebDriver BiDi has no such event)',
    shownAfterMs: round(trip.shownAt - trip.backAt),
    ...result.facts,
    // On a restored page an open after the return is the client's own doing; on a new page the case opened it.
    reconnectedByItself: trip.restored && result.counts.opensAfterBack! > 0,
    reopenedByNewPage: !trip.restored,
  });
}

/** The claims a transport's lifecycle records bear on, by browser API. */
const CLAIMS: Record<BrowserApi, ClaimId[]> = {
  EventSource: ['sse-auto-reconnect', 'sse-event-ids-resume'],
  WebSocket: ['ws-needs-library-to-reconnect', 'ws-needs-own-resume-protocol'],
  'socket.io': ['ws-needs-library-to-reconnect'],
};

/** The knobs every case records: the feed and the server's heartbeat. */
function setupOf(transport: ScenarioTransport): Record<string, Json> {
  const api = spec(transport).browserApi!;
  return {
    rate: RATE,
    client: `${api} with its defaults`,
    heartbeatMs: HEARTBEAT_MS,
    heartbeat: {
      EventSource: `: comment every ${HEARTBEAT_MS} ms`,
      WebSocket: `ping frame every ${HEARTBEAT_MS} ms; no pong by the next one: terminated`,
      'socket.io': `pingInterval ${HEARTBEAT_MS} ms, pingTimeout ${SOCKET_IO_PING_TIMEOUT_MS} ms (socket.io's default)`,
    }[api],
    ...(api === 'EventSource' ? { retryMs: SERVER_DEFAULTS.retryMs, replay: SERVER_DEFAULTS.replay } : {}),
    ...(api === 'WebSocket' ? { resume: 'none: a raw WebSocket sends no ?since= (the server would replay from it)' } : {}),
    ...(api === 'socket.io' ? { recovery: 'connectionStateRecovery, 2 min' } : {}),
    liveWaitMs: LIVE_WAIT_MS,
  };
}

const TIMEOUT_MS = FREEZE_MS.full + 45_000;

function cases(transport: ScenarioTransport): CaseSpec[] {
  const label = spec(transport).label;
  const common = { transport, client: 'browser' as const, claims: CLAIMS[spec(transport).browserApi!], timeoutMs: TIMEOUT_MS };
  return [
    {
      ...common,
      case: 'frozen',
      title: `${label}: the page frozen (a background tab) and resumed; what it missed and how long until live again`,
      setup: { ...setupOf(transport), freezeMs: { ...FREEZE_MS }, freeze: 'Page.setWebLifecycleState frozen, then active' },
      notIn: { firefox: 'WebDriver BiDi has no page freeze (Chromium: CDP Page.setWebLifecycleState)' },
      run: (c) => frozen(c, transport),
    },
    {
      ...common,
      case: 'bfcache',
      title: `${label}: the tab goes to another page and back (back/forward cache); what it missed and how long until live again`,
      setup: { ...setupOf(transport), awayMs: BFCACHE_AWAY_MS, pageCacheControl: null, controlAwayMs: CONTROL_AWAY_MS },
      run: (c) => bfcache(c, transport, null),
    },
    {
      ...common,
      case: 'bfcache-no-store',
      title: `${label}: the same with the page served Cache-Control: no-store`,
      setup: { ...setupOf(transport), awayMs: BFCACHE_AWAY_MS, pageCacheControl: 'no-store', controlAwayMs: CONTROL_AWAY_MS },
      run: (c) => bfcache(c, transport, 'no-store'),
    },
  ];
}

export const lifecycle: ScenarioSpec = {
  name: 'lifecycle',
  title: 'A page frozen in the background, or restored from the back/forward cache: what each transport missed',
  cases: SCENARIO_TRANSPORTS.flatMap(cases),
};
