/**
 * The client library the articles use beside native EventSource: named events and `onmessage`
 * (sse-named-events-need-listener, against article B's own ssestream server, scenario `articles`) and how
 * event-source-polyfill carries the last event id (polyfill-sends-last-id-as-query), from the
 * polyfill scenario.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, ms, times } from './words.ts';

const ARTICLE_B = { native: 'articles/sse/article-b-as-written', poly: 'articles/sse/article-b-polyfill' };

export const POLYFILL_RULES = {
  'sse-named-events-need-listener': rule({
    read(e) {
      const rows = [ARTICLE_B.native, ARTICLE_B.poly].map((id) => ({
        id,
        onmessage: e.count(id, 'onmessage'),
        listener: e.count(id, 'serverTimeListener'),
      }));
      return {
        native: rows[0]!,
        poly: rows[1]!,
        browser: e.browser,
        // What the server wrote (read on a raw socket) and what its `retry:` did to the dropped native client.
        server: {
          firstWrite: e.fact<string>('articles/sse/article-b-wire', 'firstWrite'),
          eventName: e.setup(ARTICLE_B.native, 'eventName'),
          retryMs: e.setup(ARTICLE_B.native, 'retryMs'),
          reconnectDelayMs: e.fact<number | null>(ARTICLE_B.native, 'reconnectDelayMs'),
          lastEventIdSent: e.fact<string | null>(ARTICLE_B.native, 'lastEventIdSent'),
          firstIdAfterReconnect: e.fact<string | null>(ARTICLE_B.native, 'firstIdAfterReconnect'),
        },
      };
    },
    decide: ({ native, poly }) => ({
      verdict: [native, poly].every((r) => r.onmessage === 0 && r.listener > 0) ? 'confirmed' : 'refuted',
      figures: Object.fromEntries(
        [native, poly].flatMap((r) => [
          [`${r.id} onmessage`, r.onmessage],
          [`${r.id} listener`, r.listener],
        ]),
      ),
    }),
    word: ({ native, poly, browser, server }, d) =>
      `Article B's own server, on the real ssestream (first write \`${JSON.stringify(server.firstWrite)}\`, a comment; ` +
      `every event \`event: ${server.eventName}\`), and its client's \`onmessage\`: in ${browser} onmessage fired ` +
      `${times(native.onmessage)} while a listener for '${server.eventName}' on the same EventSource fired ` +
      `${times(native.listener)}; through event-source-polyfill ${poly.onmessage} against ${poly.listener}. ` +
      `Its \`retry: ${server.retryMs}\` governed the dropped client: ` +
      (server.reconnectDelayMs === null
        ? 'no reconnect came. '
        : `it came back after ${ms(server.reconnectDelayMs)} with Last-Event-ID ${server.lastEventIdSent ?? 'absent'}, ` +
          `which the server ignores: the new response numbered its first event ${server.firstIdAfterReconnect}. `) +
      closing(d.verdict, {
        confirmed: 'onmessage only receives events with no event field (type "message"); named events need a listener: confirmed.',
        refuted: 'onmessage received the named events, or the listener did not: refuted.',
        depends: '',
      }),
  }),

  'polyfill-sends-last-id-as-query': rule({
    read(e) {
      const poly = 'polyfill/sse/polyfill-reconnect';
      const native = 'polyfill/sse/native-reconnect';
      return {
        poly: {
          query: e.fact<string | null>(poly, 'lastEventIdQuery'),
          header: e.fact<string | null>(poly, 'lastEventIdHeader'),
          path: e.fact(poly, 'reconnectPath'),
          lost: e.count(poly, 'lost'),
          delayMs: e.fact<number>(poly, 'reconnectDelayMs'),
          retryMs: e.setup(poly, 'retryMs'),
          authorization: e.fact<string | null>('polyfill/sse/polyfill-authorization-header', 'authorizationReceived'),
        },
        native: {
          authorization: e.fact<string | null>('polyfill/sse/native-authorization-header', 'authorizationReceived'),
          path: e.fact(native, 'reconnectPath'),
          header: e.fact<string>(native, 'lastEventIdHeader'),
          lost: e.count(native, 'lost'),
          delayMs: e.fact<number>(native, 'reconnectDelayMs'),
        },
      };
    },
    decide: ({ poly, native }) => ({
      verdict: poly.query !== null && poly.query !== undefined && poly.header === null ? 'confirmed' : 'refuted',
      figures: {
        polyfillQuery: poly.query ?? null,
        polyfillHeader: poly.header ?? null,
        nativeHeader: native.header ?? null,
        polyfillDelayMs: poly.delayMs ?? null,
      },
    }),
    word: ({ poly, native }, d) =>
      `On reconnect event-source-polyfill requested "${poly.path}" with Last-Event-ID header ${poly.header ?? 'absent'}, ` +
      `where native EventSource requested "${native.path}" with Last-Event-ID: ${native.header}. ` +
      `The lab server reads both; the polyfill lost ${poly.lost} and native EventSource ${native.lost} quotes over the drop. ` +
      `The polyfill waited ${ms(poly.delayMs)} where the server asked for ${poly.retryMs} ms (native: ${ms(native.delayMs)}). ` +
      `Asked to send an Authorization header, the server received "${poly.authorization ?? 'nothing'}" from the polyfill ` +
      `and ${native.authorization ?? 'nothing'} from native EventSource. ` +
      closing(d.verdict, {
        confirmed:
          'The polyfill carried the last id in the query, not the header, ' +
          'so a server that reads only the header would restart its stream: confirmed.',
        refuted: 'The polyfill did not carry the last id as a query parameter alone: refuted.',
        depends: '',
      }),
  }),
} satisfies RuleSet;
