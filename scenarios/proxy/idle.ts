/**
 * Scenario `proxy-idle`: nginx's read timeout against each transport's heartbeat. nginx (`tuned`,
 * with proxy_read_timeout READ_TIMEOUT_S) closes a proxied connection when the server has sent
 * nothing for that long; a heartbeat shorter than the timeout is traffic that keeps it open.
 *
 * Method. Per transport nginx can front, three heartbeats from the server (servers/options.ts
 * `heartbeatMs`: SSE `:` comments, ws protocol pings, engine.io's pingInterval): off (socket.io
 * cannot turn its ping off: its server default applies, longer than this watch), SHORTER_MS and
 * LONGER_MS. The feed is paused, so only heartbeats cross: the case publishes BEFORE quotes once
 * the client is open, then watches up to WATCH_MS for the page to notice a cut (SSE `error`,
 * WebSocket and socket.io `close`). The moment it does (or at the end of the watch when nothing
 * happened) AFTER more quotes are published, while a reconnecting client is still away (SSE
 * `retry: RETRY_MS`, socket.io reconnecting after RECONNECT_MS), then SETTLE_MS for it to come
 * back and catch up. A wire tap between nginx and the server times when nginx closed the upstream
 * connection (Node's clock; a cut is a close before the case closed the page) and when the server
 * last sent nginx a byte on it (the tap stamps each chunk from the server), so
 * the silence nginx timed out on is measured where nginx measures it; nginx's error log says
 * whether it was the read timeout ("upstream timed out"); its access log has the request's status.
 * Lost = BEFORE + AFTER minus the distinct quotes the page received.
 *
 * Samples: one connection per case. Invalidated by: a heartbeat timer firing more than
 * READ_TIMEOUT_S - SHORTER_MS late (a machine stalled for 2 s).
 */
import { type BrowserApi, spec } from '../capabilities.ts';
import { sleep, type CaseContext, type CaseSpec, type ScenarioSpec } from '../harness.ts';
import { countOf, lossAndDuplicates, publish, round } from '../measure.ts';
import type { Json, Observed, ScenarioTransport } from '../types.ts';
import { accessText, parseAccessLog } from './access-log.ts';
import { behindNginx, PROXIED, quoteEvents, timeoutsLogged } from './through.ts';

const READ_TIMEOUT_S = 3;
const SHORTER_MS = 1000;
const LONGER_MS = 5000;
const WATCH_MS = 5000;
const SETTLE_MS = 1500;
const BEFORE = 5;
const AFTER = 5;
const RETRY_MS = 500;
const RECONNECT_MS = 200;
const OPEN_MS = 2000;

type Beat = 'off' | 'shorter' | 'longer';
const BEATS: Record<Beat, number | null> = { off: null, shorter: SHORTER_MS, longer: LONGER_MS };

/** What each browser API's heartbeat is, as the case's setup states it. */
const HEARTBEAT: Record<BrowserApi, (ms: number | null) => string> = {
  EventSource: (ms) => (ms === null ? 'none' : `\`:\` comment every ${ms} ms`),
  WebSocket: (ms) => (ms === null ? 'none' : `ping frame every ${ms} ms`),
  'socket.io': (ms) => (ms === null ? "the socket.io server's default pingInterval" : `pingInterval ${ms} ms`),
};

/** The page's sign that the connection went: EventSource fires `error`, the others `close`. */
const noticeType = (api: BrowserApi) => (api === 'EventSource' ? 'error' : 'close');

/** The upstream request that carries the stream: the SSE GET, the WebSocket upgrade, socket.io's WebSocket. */
const isStream = (path: string) => path.startsWith('/sse') || path.startsWith('/ws') || path.includes('transport=websocket');

async function idle(c: CaseContext, transport: ScenarioTransport, beat: Beat): Promise<Observed> {
  const api = spec(transport).browserApi!;
  const lab = await behindNginx(
    c,
    transport,
    { heartbeatMs: BEATS[beat], retryMs: RETRY_MS },
    { profile: 'tuned', readTimeoutS: READ_TIMEOUT_S },
  );
  const page = await c.page();
  await page.openClient(transport, 'x', lab.url, {
    reconnectionDelay: RECONNECT_MS,
    reconnectionDelayMax: RECONNECT_MS,
    randomizationFactor: 0,
  });
  await page.waitForEvents('x', 'open', 1, OPEN_MS);
  publish(lab.server, BEFORE);
  const noticed = await page.waitForEvents('x', noticeType(api), 1, WATCH_MS);
  publish(lab.server, AFTER);
  await sleep(SETTLE_MS);
  const events = await page.events('x');
  const readyState = api === 'socket.io' ? null : await page.readyState('x');
  const closedPageAt = c.elapsed();
  await page.call('close', 'x');
  await sleep(200);
  const access = parseAccessLog(await lab.proxy.accessLog());
  const timeouts = await timeoutsLogged(lab.proxy);

  const quotes = quoteEvents(events);
  const { lost, duplicated } = lossAndDuplicates(
    quotes.map((e) => e.detail!.seq as number),
    BEFORE + AFTER,
  );
  const notice = events.find((e) => e.type === noticeType(api));
  const firstOpen = events.find((e) => e.type === 'open');
  const streams = lab.tap.connections.filter((x) => x.requests.some((r) => isStream(r.path)));
  // nginx closed the upstream side first ('client' from the tap's seat) before the case closed the page.
  const cut = streams.find((x) => x.endedBy === 'client' && x.closedAt !== undefined && x.closedAt < closedPageAt);
  const lastByteAt = cut?.lastDownAt;
  return {
    events: events.filter((e) => !quotes.includes(e)).slice(0, 50),
    readyState,
    counts: {
      published: BEFORE + AFTER,
      quotes: quotes.length,
      lost,
      duplicated,
      opens: countOf(events, 'open'),
      errors: countOf(events, 'error'),
      closes: countOf(events, 'close'),
      upstreamStreams: streams.length,
      nginxTimeouts: timeouts.length,
    },
    server: { connections: lab.tap.connections.length, requests: lab.tap.requests.slice(0, 20) },
    facts: {
      readTimeoutS: READ_TIMEOUT_S,
      cut: cut !== undefined,
      cutAtMs: cut?.closedAt ?? null,
      lastUpstreamByteAtMs: lastByteAt ?? null,
      // The silence nginx timed out on: from the server's last byte on that connection to nginx closing it.
      lastUpstreamByteToCutMs: lastByteAt === undefined ? null : round(cut!.closedAt! - lastByteAt),
      noticed,
      noticedAtMs: notice?.t ?? null,
      closeCode: api === 'EventSource' ? null : ((notice?.detail?.code as number | undefined) ?? null),
      closeReason: ((notice?.detail?.reason as string | undefined) ?? null) as Json,
      cameBack: notice !== undefined && events.some((e) => e.type === 'open' && e.t > notice.t),
      firstOpenAtMs: firstOpen?.t ?? null,
      quotesAfterCut: notice ? quotes.filter((e) => e.t > notice.t).length : null,
      nginxTimeoutLog: timeouts.slice(0, 2).map((line) => line.replace(/^\S+ \S+ /, '').slice(0, 200)),
      nginxAccessLog: access.slice(0, 10).map(accessText),
    },
  };
}

function idleCase(transport: ScenarioTransport, beat: Beat): CaseSpec {
  const api = spec(transport).browserApi!;
  const heartbeatMs = BEATS[beat];
  return {
    transport,
    case: `heartbeat-${beat}`,
    client: 'browser',
    title: `${spec(transport).label} through nginx with a ${READ_TIMEOUT_S} s read timeout, heartbeat: ${HEARTBEAT[api](heartbeatMs)}`,
    claims: ['sse-heartbeat-comments-needed'],
    setup: {
      profile: 'tuned',
      readTimeoutS: READ_TIMEOUT_S,
      heartbeatMs,
      heartbeat: HEARTBEAT[api](heartbeatMs),
      watchMs: WATCH_MS,
      settleMs: SETTLE_MS,
      before: BEFORE,
      after: AFTER,
      feed: 'paused; quotes published by hand',
      ...(api === 'EventSource' ? { retryMs: RETRY_MS } : {}),
      ...(api === 'socket.io' ? { reconnectionDelay: RECONNECT_MS, randomizationFactor: 0 } : {}),
    },
    run: (c) => idle(c, transport, beat),
  };
}

export const proxyIdle: ScenarioSpec = {
  name: 'proxy-idle',
  title: "nginx's read timeout against each transport's heartbeat: cut or kept, noticed, back, lost",
  cases: PROXIED.flatMap((transport) => (['off', 'shorter', 'longer'] as const).map((beat) => idleCase(transport, beat))),
};
