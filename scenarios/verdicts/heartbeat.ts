/**
 * Heartbeats through an idle-timing intermediary (sse-heartbeat-comments-needed): a silent SSE
 * stream with and without `:` comments, seen by Chromium's own EventSource, through a relay that
 * cuts idle connections, and by event-source-polyfill's heartbeat timeout, with a raw WebSocket
 * through the same relay beside them (the idle-heartbeat and polyfill scenarios).
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, times, yes } from './words.ts';

const RELAY_SILENT = 'idle-heartbeat/sse/relay-silent';
const RELAY_BEAT = 'idle-heartbeat/sse/relay-heartbeat';
const POLY_SILENT = 'polyfill/sse/polyfill-heartbeat-silent';
const POLY_BEAT = 'polyfill/sse/polyfill-heartbeat-comments';
const NATIVE = 'polyfill/sse/native-silent';
const WS_SILENT = 'idle-heartbeat/ws/relay-silent';

export const HEARTBEAT_RULES = {
  'sse-heartbeat-comments-needed': rule({
    read(e) {
      const native = { reopened: e.count(NATIVE, 'reopened'), watchMs: e.setup(NATIVE, 'watchMs') };
      const relaySilent = {
        cuts: e.count(RELAY_SILENT, 'idleCuts'),
        idleTimeoutMs: e.setup(RELAY_SILENT, 'idleTimeoutMs'),
        watchMs: e.setup(RELAY_SILENT, 'watchMs'),
        opens: e.count(RELAY_SILENT, 'opens'),
      };
      const relayBeat = { cuts: e.count(RELAY_BEAT, 'idleCuts'), heartbeatMs: e.setup(RELAY_BEAT, 'heartbeatMs') };
      const wsCuts = e.count(WS_SILENT, 'idleCuts');
      return {
        native,
        relaySilent,
        relayBeat,
        // Came back by itself: cited only when it was cut.
        wsSilent: { cuts: wsCuts, reconnectedByItself: wsCuts > 0 ? e.fact<boolean>(WS_SILENT, 'reconnectedByItself') : undefined },
        polyBeatReopened: e.count(POLY_BEAT, 'reopened'),
        polySilent: {
          reopened: e.count(POLY_SILENT, 'reopened'),
          heartbeatTimeoutMs: e.setup(POLY_SILENT, 'heartbeatTimeoutMs'),
          defaultHeartbeatTimeoutMs: e.fact(POLY_SILENT, 'polyfillDefaultHeartbeatTimeoutMs'),
        },
        wsBeatCuts: e.count('idle-heartbeat/ws/relay-heartbeat', 'idleCuts'),
      };
    },
    decide(s) {
      const needed = s.relaySilent.cuts > 0 || s.polySilent.reopened > 0;
      const commentsHelp = s.relayBeat.cuts === 0 && s.polyBeatReopened === 0;
      return {
        verdict: needed && commentsHelp ? (s.native.reopened === 0 ? 'depends' : 'confirmed') : 'refuted',
        figures: {
          nativeReopened: s.native.reopened,
          relaySilentCuts: s.relaySilent.cuts,
          relayCommentCuts: s.relayBeat.cuts,
          polyfillSilentReopened: s.polySilent.reopened,
          polyfillCommentsReopened: s.polyBeatReopened,
        },
      };
    },
    word: ({ native, relaySilent, relayBeat, wsSilent, polySilent, polyBeatReopened, wsBeatCuts }, d) =>
      `With no intermediary, Chromium's own EventSource reopened a silent stream ${times(native.reopened)} in ${native.watchMs} ms. ` +
      `Through a relay with a ${relaySilent.idleTimeoutMs} ms idle timeout the silent stream was cut ${times(relaySilent.cuts)} ` +
      `in ${relaySilent.watchMs} ms (the EventSource opened ${times(relaySilent.opens)}); ` +
      `with a \`:\` comment every ${relayBeat.heartbeatMs} ms ` +
      `the relay ${relayBeat.cuts === 0 ? 'never cut it' : `cut it ${times(relayBeat.cuts)}`}. ` +
      `event-source-polyfill, with heartbeatTimeout set to ${polySilent.heartbeatTimeoutMs} ms ` +
      `(its source's default: ${polySilent.defaultHeartbeatTimeoutMs} ms), ` +
      `aborted and reopened the silent stream ${times(polySilent.reopened)} and the stream with comments ${times(polyBeatReopened)}. ` +
      `A raw WebSocket through the same relay was cut ${times(wsSilent.cuts)}` +
      `${wsSilent.cuts > 0 ? ` and came back by itself: ${yes(wsSilent.reconnectedByItself)}` : ''}; ` +
      `with ping frames it was cut ${times(wsBeatCuts)}. ` +
      closing(d.verdict, {
        confirmed: 'Silence was cut even with no intermediary, and comments kept the stream: confirmed.',
        depends:
          'The browser itself needs no comments; a proxy or the polyfill that times out silence does, ' +
          'and comments kept the stream: depends on what sits in between.',
        refuted: 'Silent streams were not cut, or comments did not keep them open: refuted.',
      }),
  }),
} satisfies RuleSet;
