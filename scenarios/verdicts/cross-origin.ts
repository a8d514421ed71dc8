/**
 * Cross-origin: whether a WebSocket ignores cross-origin rules (ws-ignores-cross-origin), whether
 * SSE needs the server's CORS headers (sse-needs-cors-headers), from the cross-origin scenario's pages
 * on another origin, and article A's wildcard-plus-credentials setup (seed-credentials-with-wildcard-cors), from its
 * own server and client run as written (scenario `articles`).
 */
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, esState, plural, yes } from './words.ts';

const sse = (c: string) => `cross-origin/sse/${c}`;
const article = (c: string) => `articles/sse/${c}`;

/**
 * What the page's console said about a refusal: the first message naming `word`, and whether the console held any
 * message at all (Firefox over WebDriver BiDi passes on only the page's own console calls, not its network errors).
 */
const consoleOf = (e: Evidence, id: string, word: string) => {
  const messages = e.fact<string[]>(id, 'console') ?? [];
  return { browser: e.browser, message: messages.find((t) => t.includes(word)), empty: messages.length === 0 };
};

/** The HTTP status a refused WebSocket upgrade got, as Chromium's console states it ("Unexpected response code: 403"). */
const statusWords = (c: ReturnType<typeof consoleOf>) => {
  const status = c.message && /response code: (\d+)/.exec(c.message)?.[1];
  return status
    ? `HTTP status in ${c.browser}'s console: ${status}`
    : c.empty
      ? `${c.browser}'s console, as the lab reads it, held no message`
      : `${c.browser}'s console named no HTTP status`;
};

const consoleWords = (c: ReturnType<typeof consoleOf>, word: string) =>
  c.message
    ? `${c.browser}'s console said: "${c.message}"`
    : c.empty
      ? `${c.browser}'s console, as the lab reads it, held no message`
      : `${c.browser}'s console named no ${word} error`;

export const CROSS_ORIGIN_RULES = {
  'ws-ignores-cross-origin': rule({
    read(e) {
      const open = 'cross-origin/ws/origin-unchecked';
      const refused = 'cross-origin/ws/origin-refused';
      const polling = 'cross-origin/socketio/polling-first-no-cors';
      const opened = e.fact<boolean>(open, 'opened') === true;
      const originSeen = e.fact<string>(open, 'originSeen');
      const cookieSeen = e.fact<boolean>(open, 'cookieSeen');
      const refusedConsole = consoleOf(e, refused, 'response code');
      const pollingConnected = e.fact<boolean>(polling, 'connected');
      return {
        browser: e.browser,
        unchecked: { opened, originSeen, cookieSeen },
        refused: {
          console: refusedConsole,
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
    word({ browser, unchecked, refused, polling, websocketOnlyConnected }, d) {
      const pollingFailure =
        `did not (first error "${polling.firstError}", ${polling.reconnectAttempts} reconnect attempts in ${polling.watchMs} ms` +
        `${polling.corsInConsole ? ', the console naming the CORS policy' : ''})`;
      return (
        `From a page on another origin, ${browser} ${unchecked.opened ? 'opened' : 'did not open'} a WebSocket ` +
        'to a server that sends no CORS header and checks nothing; ' +
        `the server saw Origin ${unchecked.originSeen} and the page's cookie went along: ${yes(unchecked.cookieSeen)}. ` +
        `The lab's ws server, whose allowlist (${JSON.stringify(refused.allowOrigins)}) lacked that origin, ` +
        `refused ${plural(refused.upgradesRefused, 'upgrade')} (${statusWords(refused.console)}) ` +
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
        console: consoleOf(e, sse('no-cors-header'), 'CORS'),
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
      ` and ${consoleWords(s.console, 'CORS')}. ` +
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
      const native = article('article-a-as-written');
      const poly = article('article-a-polyfill');
      return {
        native: {
          client: e.fact<string>(native, 'client'),
          delivered: e.fact<boolean>(native, 'delivered'),
          readyState: e.readyState(native),
          requests: e.count(native, 'requests'),
          watchMs: e.setup(native, 'watchMs'),
          console: consoleOf(e, native, 'wildcard'),
        },
        poly: { delivered: e.fact<boolean>(poly, 'delivered'), readyState: e.readyState(poly), requests: e.count(poly, 'requests') },
        sameOriginMessages: e.count(article('article-a-same-origin-drop'), 'messages'),
        starDelivered: e.fact<boolean>(sse('acao-star'), 'delivered'),
        exactDelivered: e.fact<boolean>(sse('acao-exact-credentials'), 'delivered'),
      };
    },
    // Nothing cross-origin is a refutation only if the same code delivered from its own origin: else the run itself failed.
    decide: ({ native, poly, sameOriginMessages }) => ({
      verdict:
        native.delivered === false && poly.delivered === false
          ? sameOriginMessages > 0
            ? 'refuted'
            : 'depends'
          : native.delivered && poly.delivered
            ? 'confirmed'
            : 'depends',
      figures: { nativeDelivered: native.delivered ?? null, polyfillDelivered: poly.delivered ?? null, polyfillRequests: poly.requests },
    }),
    word: ({ native, poly, sameOriginMessages, starDelivered, exactDelivered }, d) =>
      "Article A's own server (`Access-Control-Allow-Origin: *`) and client (`withCredentials: true`), run as written " +
      `from a page on another origin: the client's \`NativeEventSource || EventSourcePolyfill\` picked ${native.client} ` +
      `in ${native.console.browser}, which ${native.delivered ? 'received a' : 'got no'} message in ${native.watchMs} ms ` +
      `(readyState ${esState(native.readyState)}, ${plural(native.requests, 'request')}); ` +
      `its polyfill branch, taken where there is no native EventSource, ${poly.delivered ? 'received a' : 'got no'} message ` +
      `(${plural(poly.requests, 'request')}, readyState ${esState(poly.readyState)}` +
      `${poly.readyState === 0 ? ': still retrying' : ''}). ` +
      `${consoleWords(native.console, 'wildcard')}. ` +
      `From the server's own origin, where CORS does not apply, the same code received ${plural(sameOriginMessages, 'message')}. ` +
      `A server that sends \`*\` delivered without credentials: ${yes(starDelivered)}; ` +
      `one that sends the exact origin plus Access-Control-Allow-Credentials delivered with them: ${yes(exactDelivered)} ` +
      '(see sse-needs-cors-headers). ' +
      closing(d.verdict, {
        refuted: "Neither client got anything cross-origin, so the article's setup can only have worked same-origin: refuted.",
        confirmed: 'Both clients received messages: confirmed.',
        depends:
          native.delivered === poly.delivered
            ? 'Nothing arrived from its own origin either, so this run cannot tell CORS from a broken setup: depends.'
            : 'One client received messages and the other did not: depends on the client.',
      }),
  }),
} satisfies RuleSet;
