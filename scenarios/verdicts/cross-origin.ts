/**
 * Cross-origin: whether a WebSocket ignores cross-origin rules (ws-ignores-cross-origin), whether
 * SSE needs the server's CORS headers (sse-needs-cors-headers), and article A's wildcard-plus-
 * credentials setup (seed-credentials-with-wildcard-cors), from the cross-origin scenario's pages
 * on another origin.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, esState, plural, yes } from './words.ts';

const sse = (c: string) => `cross-origin/sse/${c}`;

export const CROSS_ORIGIN_RULES = {
  'ws-ignores-cross-origin': rule({
    read(e) {
      const open = 'cross-origin/ws/origin-unchecked';
      const refused = 'cross-origin/ws/origin-refused';
      const polling = 'cross-origin/socketio/polling-first-no-cors';
      const opened = e.fact<boolean>(open, 'opened') === true;
      const originSeen = e.fact<string>(open, 'originSeen');
      const cookieSeen = e.fact<boolean>(open, 'cookieSeen');
      const refusedConsole = e.fact<string[]>(refused, 'console') ?? [];
      const pollingConnected = e.fact<boolean>(polling, 'connected');
      return {
        unchecked: { opened, originSeen, cookieSeen },
        refused: {
          statusInConsole: refusedConsole.map((t) => /response code: (\d+)/.exec(t)?.[1]).find(Boolean) ?? 'none reported',
          allowOrigins: e.setup(refused, 'allowOrigins'),
          upgradesRefused: e.counter(refused, 'refused'),
          closeCode: e.fact<number>(refused, 'closeCode'),
        },
        polling: {
          connected: pollingConnected,
          corsInConsole: (e.fact<string[]>(polling, 'console') ?? []).some((t) => t.includes('CORS policy')),
          // How it failed is cited only when it did not connect.
          ...(pollingConnected
            ? {}
            : {
                firstError: e.fact(polling, 'firstError'),
                reconnectAttempts: e.count(polling, 'reconnectAttempts'),
                watchMs: e.setup(polling, 'watchMs'),
              }),
        },
        websocketOnlyConnected: e.fact<boolean>('cross-origin/socketio/websocket-only-no-cors', 'connected'),
      };
    },
    decide: (s) => ({
      verdict: s.unchecked.opened ? 'confirmed' : 'refuted',
      figures: {
        browserOpenedUnchecked: s.unchecked.opened,
        originSeen: s.unchecked.originSeen ?? null,
        cookieSeen: s.unchecked.cookieSeen ?? null,
        refusedCloseCode: s.refused.closeCode ?? null,
        socketioWebsocketOnly: s.websocketOnlyConnected ?? null,
        socketioPollingFirst: s.polling.connected ?? null,
      },
    }),
    word({ unchecked, refused, polling, websocketOnlyConnected }, d) {
      const pollingFailure =
        `did not (first error "${polling.firstError}", ${polling.reconnectAttempts} reconnect attempts in ${polling.watchMs} ms` +
        `${polling.corsInConsole ? ', the console naming the CORS policy' : ''})`;
      return (
        `From a page on another origin, Chromium ${unchecked.opened ? 'opened' : 'did not open'} a WebSocket ` +
        'to a server that sends no CORS header and checks nothing; ' +
        `the server saw Origin ${unchecked.originSeen} and the page's cookie went along: ${yes(unchecked.cookieSeen)}. ` +
        `The lab's ws server, whose allowlist (${JSON.stringify(refused.allowOrigins)}) lacked that origin, ` +
        `refused ${plural(refused.upgradesRefused, 'upgrade')} (HTTP status in the console: ${refused.statusInConsole}) ` +
        `and the page got close code ${refused.closeCode}. ` +
        `To a default socket.io server with no cors option, websocket-only connected: ${yes(websocketOnlyConnected)}; ` +
        `polling-first ${polling.connected ? 'connected' : pollingFailure}. ` +
        closing(d.verdict, {
          confirmed: 'So "WebSocket can go cross-origin" is true, and it is why a WebSocket server must check Origin itself.',
          refuted: 'The browser itself stopped the cross-origin WebSocket: refuted.',
          depends: '',
        })
      );
    },
  }),

  'sse-needs-cors-headers': rule({
    read(e) {
      const delivered = (c: string) => e.fact<boolean>(sse(c), 'delivered') === true;
      return {
        noHeader: delivered('no-cors-header'),
        noHeaderCredentials: delivered('no-cors-header-credentials'),
        star: delivered('acao-star'),
        exact: delivered('acao-exact'),
        exactCredentials: delivered('acao-exact-credentials'),
        noHeaderRequests: e.count(sse('no-cors-header'), 'requests'),
        corsMessage: (e.fact<string[]>(sse('no-cors-header'), 'console') ?? []).find((t) => t.includes('CORS')),
        noHeaderReadyState: e.readyState(sse('no-cors-header')),
      };
    },
    decide(s) {
      const noHeaderFails = !s.noHeader && !s.noHeaderCredentials;
      const headerWorks = s.star && s.exact && s.exactCredentials;
      return {
        verdict: noHeaderFails && headerWorks ? 'confirmed' : 'refuted',
        figures: {
          noHeaderDelivered: s.noHeader,
          starDelivered: s.star,
          exactDelivered: s.exact,
          exactWithCredentialsDelivered: s.exactCredentials,
          noHeaderRequests: s.noHeaderRequests,
        },
      };
    },
    word: (s, d) =>
      'Cross-origin, with no Access-Control-Allow-Origin on the response, ' +
      `an EventSource delivered a message: ${yes(s.noHeader)} (with credentials: ${yes(s.noHeaderCredentials)}); ` +
      `it ended in readyState ${esState(s.noHeaderReadyState)}, the server received ${plural(s.noHeaderRequests, 'request')}` +
      `${s.corsMessage ? ` and the console said: "${s.corsMessage}"` : ' and the console named no CORS error'}. ` +
      `With \`*\` it delivered without credentials: ${yes(s.star)}; ` +
      `with the exact origin, without and with credentials: ${yes(s.exact)}, ${yes(s.exactCredentials)}. ` +
      closing(d.verdict, {
        confirmed: 'Delivery followed the header: the server must send it, confirmed.',
        refuted: 'Delivery did not follow the header as claimed: refuted.',
        depends: '',
      }),
  }),

  'seed-credentials-with-wildcard-cors': rule({
    read(e) {
      const native = sse('acao-star-credentials');
      const poly = sse('seed-article-a-polyfill');
      return {
        native: {
          delivered: e.fact<boolean>(native, 'delivered'),
          readyState: e.readyState(native),
          requests: e.count(native, 'requests'),
          wildcardMessage: (e.fact<string[]>(native, 'console') ?? []).find((t) => t.includes('wildcard')),
        },
        poly: { delivered: e.fact<boolean>(poly, 'delivered'), requests: e.count(poly, 'requests'), watchMs: e.setup(poly, 'watchMs') },
        starDelivered: e.fact<boolean>(sse('acao-star'), 'delivered'),
        exactDelivered: e.fact<boolean>(sse('acao-exact-credentials'), 'delivered'),
      };
    },
    decide: ({ native, poly }) => ({
      verdict:
        native.delivered === false && poly.delivered === false ? 'refuted' : native.delivered && poly.delivered ? 'confirmed' : 'depends',
      figures: { nativeDelivered: native.delivered ?? null, polyfillDelivered: poly.delivered ?? null, polyfillRequests: poly.requests },
    }),
    word: ({ native, poly, starDelivered, exactDelivered }, d) =>
      "Article A's combination, `Access-Control-Allow-Origin: *` with withCredentials: true, cross-origin: " +
      `native EventSource ${native.delivered ? 'received a' : 'got no'} message ` +
      `(readyState ${esState(native.readyState)}, ${plural(native.requests, 'request')}) ` +
      `and event-source-polyfill, the article's client, ${poly.delivered ? 'received a' : 'got no'} message ` +
      `(${plural(poly.requests, 'request')} in ${poly.watchMs} ms). ` +
      (native.wildcardMessage ? `Chromium's console said: "${native.wildcardMessage}". ` : "Chromium's console named no wildcard error. ") +
      `The same server with \`*\` delivered without credentials: ${yes(starDelivered)}; ` +
      `with the exact origin plus Access-Control-Allow-Credentials it delivered with them: ${yes(exactDelivered)} ` +
      '(see sse-needs-cors-headers). ' +
      closing(d.verdict, {
        refuted:
          "Neither client got anything, so the article's setup can only have worked same-origin, where CORS does not apply: refuted.",
        confirmed: 'Both clients received messages: confirmed.',
        depends: 'One client received messages and the other did not: depends on the client.',
      }),
  }),
} satisfies RuleSet;
