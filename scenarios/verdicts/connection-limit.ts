/**
 * The per-origin connection cap (sse-six-connections-per-origin): how many EventSources the browser
 * opens to one origin over HTTP/1.1 and over HTTP/2, what else still reaches the origin while they
 * are open, and WebSockets to the same host and port, from the connection-limit scenario. Over
 * HTTP/2 the records come from the lab's own sse-h2 server: the streams it held and the TLS
 * connections they came on (its /stats), and the TCP connections the relay in front of it accepted;
 * Chromium also reports each request's protocol (ALPN) and connection, which Firefox's network log
 * (WebDriver BiDi) does not name, so those are cited where the browser reported them. The same
 * eight through nginx (proxy-h2: HTTP/2 at the proxy in front of an HTTP/1.1 server, and HTTP/1.1
 * throughout) are cited beside them, with nginx's access log for the protocol; the decision rests
 * on the direct records.
 */
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, plural, yes } from './words.ts';

const H1 = 'connection-limit/sse/http1-eventsources';
const H2 = 'connection-limit/sse-h2/http2-eventsources';
const WS = 'connection-limit/ws/websockets';
const PROXY = (profile: 'h2' | 'tuned') => `proxy-h2/sse/eventsources-${profile}`;
/**
 * Eight EventSources through nginx with that profile: how many opened, over which protocol (nginx's access log), and on
 * how many connections: those the browser reported carrying streams, or, where it reports no connection (Firefox),
 * every connection the tap in front of nginx accepted.
 */
function throughNginx(e: Evidence, profile: 'h2' | 'tuned') {
  const reported = (e.fact<string[]>(PROXY(profile), 'protocols') ?? []).length > 0;
  return {
    asked: e.count(PROXY(profile), 'asked'),
    opened: e.count(PROXY(profile), 'opened'),
    reported,
    connections: e.count(PROXY(profile), reported ? 'connectionsCarryingStreams' : 'browserConnections'),
    protocols: e.fact<string[]>(PROXY(profile), 'accessLogProtocols') ?? [],
  };
}

/** The nginx record's connections: those the browser reported carrying streams, or those the tap counted. */
const nginxConnections = (n: ReturnType<typeof throughNginx>, browser: string) =>
  `on ${plural(n.connections, 'connection')}${n.reported ? '' : ` (counted at the tap in front of nginx: ${browser} names none)`}`;

/** The cap the claim names. */
const CLAIMED = 6;

export const CONNECTION_LIMIT_RULES = {
  'sse-six-connections-per-origin': rule({
    read(e) {
      const fetched = e.fact<boolean>(H1, 'sameOriginFetchCompleted');
      const alpn = e.fact<(string | null)[]>(H2, 'alpnProtocols') ?? [];
      return {
        browser: e.browser,
        h1: {
          asked: e.setup<number>(H1, 'asked') ?? Number.NaN,
          opened: e.count(H1, 'opened'),
          serverStreams: e.count(H1, 'serverStreams'),
          fetched,
          // How long the fetch was given is cited only when it did not complete.
          fetchTimeoutMs: fetched ? undefined : e.setup(H1, 'fetchTimeoutMs'),
          otherOriginStatus: e.fact<{ status?: number }>(H1, 'otherOriginFetch')?.status,
          secondTabOpened: e.fact<boolean>(H1, 'secondTabEventSourceOpened'),
          websocketOpened: e.fact<boolean>(H1, 'websocketSameHostPortOpened'),
          openedAfterClosingOne: e.fact<string[]>(H1, 'whatOpenedAfterClosingOne') ?? [],
        },
        h2: {
          asked: e.setup<number>(H2, 'asked') ?? Number.NaN,
          opened: e.count(H2, 'opened'),
          serverStreams: e.count(H2, 'serverStreams'),
          // The browser's account of each connection: Chromium's network log names them, Firefox's does not.
          reported: alpn.length > 0,
          alpn,
          streamsPerSession: e.fact(H2, 'streamsPerSession'),
          sessionsCarryingStreams: e.count(H2, 'sessionsCarryingStreams'),
          sessions: e.count(H2, 'serverSessions'),
          serverSockets: e.counter(H2, 'sockets'),
          fetched: e.fact<boolean>(H2, 'sameOriginFetchCompleted'),
        },
        ws: { opened: e.count(WS, 'opened'), asked: e.setup(WS, 'asked'), fetched: e.fact<boolean>(WS, 'sameOriginFetchCompleted') },
        nginx: { h2: throughNginx(e, 'h2'), tuned: throughNginx(e, 'tuned') },
      };
    },
    decide({ h1, h2, ws, nginx }) {
      // A cap: fewer opened than asked, and the page and the server agree on how many streams were open.
      const capped = h1.opened < h1.asked && h1.opened === h1.serverStreams;
      const lifted = h2.opened === h2.asked && h2.serverStreams === h2.asked;
      return {
        verdict: capped && h1.opened === CLAIMED && lifted ? 'confirmed' : capped ? 'depends' : 'refuted',
        lifted,
        figures: {
          http1Opened: h1.opened,
          http1ServerStreams: h1.serverStreams,
          asked: h1.asked,
          http2Opened: h2.opened,
          http2Sessions: h2.sessions,
          http2ServerSockets: h2.serverSockets,
          http2SessionsCarryingStreams: h2.reported ? h2.sessionsCarryingStreams : null,
          websocketsOpened: ws.opened,
          nginxH2Opened: nginx.h2.opened,
          nginxH2Connections: nginx.h2.reported ? nginx.h2.connections : null,
          nginxHttp1Opened: nginx.tuned.opened,
        },
      };
    },
    word: ({ browser, h1, h2, ws, nginx }, d) =>
      `Over HTTP/1.1, ${browser} opened ${h1.opened} of ${h1.asked} EventSources to one origin ` +
      `and the server held ${h1.serverStreams} streams; ${h1.asked - h1.opened} waited. ` +
      `While they were open, a fetch to the same origin ${h1.fetched ? 'completed' : `did not complete in ${h1.fetchTimeoutMs} ms`}, ` +
      `an EventSource in a second tab of the same profile opened: ${yes(h1.secondTabOpened)}, ` +
      `a fetch to another port (another origin) answered ${h1.otherOriginStatus ?? 'nothing'}, ` +
      `and a WebSocket to the same host and port opened: ${yes(h1.websocketOpened)}; ` +
      `${ws.opened} of ${ws.asked} WebSockets opened to one host and port with a fetch completing beside them: ${yes(ws.fetched)}. ` +
      'Closing one EventSource let ' +
      `${h1.openedAfterClosingOne.length > 0 ? `${JSON.stringify(h1.openedAfterClosingOne)} open` : 'none of the waiting ones open'}. ` +
      `Over HTTP/2 (the lab's sse-h2 server), ${h2.opened} of ${h2.asked} opened and the server held ${h2.serverStreams} streams ` +
      `on ${plural(h2.serverSockets, 'TLS connection')}; ` +
      (h2.reported
        ? `ALPN per connection as ${browser} reports it: ${JSON.stringify(h2.alpn)}, streams per connection: ` +
          `${JSON.stringify(h2.streamsPerSession)} (${h2.sessionsCarryingStreams} of the ${h2.sessions} connections the relay accepted ` +
          'carried them), '
        : `${browser}'s network log names no protocol or connection; the relay accepted ${plural(h2.sessions, 'connection')}, `) +
      `and a fetch completed: ${yes(h2.fetched)}. ` +
      `Through nginx's \`h2\` profile (HTTP/2 to the browser, HTTP/1.1 to the server behind it), ${nginx.h2.opened} of ` +
      `${nginx.h2.asked} opened ${nginxConnections(nginx.h2, browser)}, nginx logging ${nginx.h2.protocols.join(', ') || 'no request'}; ` +
      `through \`tuned\` (HTTP/1.1), ${nginx.tuned.opened} of ${nginx.tuned.asked} ${nginxConnections(nginx.tuned, browser)}. ` +
      closing(d.verdict, {
        confirmed: `HTTP/1.1 capped the origin at ${CLAIMED} EventSources and HTTP/2 lifted it: confirmed.`,
        depends:
          `HTTP/1.1 capped the origin at ${h1.opened} EventSources${h1.opened === CLAIMED ? '' : `, not the claimed ${CLAIMED}`}` +
          `${d.lifted ? '' : ', and HTTP/2 did not lift the cap'}: depends.`,
        refuted: 'No per-origin cap showed over HTTP/1.1 (or the page and the server disagree on the open streams): refuted.',
      }),
  }),
} satisfies RuleSet;
