/**
 * The client library the articles use beside native EventSource: named events and `onmessage`
 * (sse-named-events-need-listener, against article B's ssestream-style server) and how
 * event-source-polyfill carries the last event id (polyfill-sends-last-id-as-query), from the
 * polyfill scenario.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, ms, plural, times } from './words.ts';

const SEED_B = { native: 'polyfill/sse/seed-b-native', poly: 'polyfill/sse/seed-b-polyfill' };

export const POLYFILL_RULES = {
  'sse-named-events-need-listener': rule({
    read(e) {
      const rows = [SEED_B.native, SEED_B.poly].map((id) => ({
        id,
        onmessage: e.count(id, 'onmessage'),
        listener: e.count(id, 'serverTimeListener'),
      }));
      return {
        native: rows[0]!,
        poly: rows[1]!,
        // The server's knobs, read from the native case (both ran against the same server).
        server: {
          requestsAfterDrop: e.count(SEED_B.native, 'requestsAfterDrop'),
          watchAfterDropMs: e.setup(SEED_B.native, 'watchAfterDropMs'),
          eventName: e.setup(SEED_B.native, 'eventName'),
          firstWrite: e.setup(SEED_B.native, 'firstWrite'),
          retryMs: e.setup(SEED_B.native, 'retryMs'),
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
    word: ({ native, poly, server }, d) =>
      `Against article B's ssestream-style server (every event has \`event: ${server.eventName}\`, ` +
      `first write \`${server.firstWrite}\`, a comment), onmessage fired ${times(native.onmessage)} ` +
      `while addEventListener('${server.eventName}') fired ${times(native.listener)} in native EventSource, ` +
      `and ${poly.onmessage} vs ${poly.listener} with event-source-polyfill. ` +
      `Its \`retry: ${server.retryMs}\` governs a dropped client: ` +
      `${server.requestsAfterDrop === 0 ? 'no reconnect was seen' : `${plural(server.requestsAfterDrop, 'request')} came`} ` +
      `within ${server.watchAfterDropMs} ms of the drop. ` +
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
