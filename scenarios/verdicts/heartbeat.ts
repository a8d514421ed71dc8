/**
 * Heartbeats through an idle-timing intermediary (sse-heartbeat-comments-needed), decided per
 * intermediary: a silent SSE stream with and without `:` comments, seen by the browser's own
 * EventSource with nothing in between, through a relay that cuts idle connections, by
 * event-source-polyfill's heartbeat timeout, and through a real nginx with a short
 * proxy_read_timeout (comments shorter and longer than it), with a raw WebSocket through the relay
 * and through nginx beside them (the idle-heartbeat, polyfill and proxy-idle scenarios). Each
 * intermediary's answer is a figure of its own (relay, polyfill, nginx); nginx's counts as kept by
 * the comments only when those under its timeout were not cut and those over it were.
 */
import type { Evidence } from './evidence.ts';
import { type RuleSet, rule } from './rule.ts';
import { closing, ms, times, yes } from './words.ts';

const RELAY_SILENT = 'idle-heartbeat/sse/relay-silent';
const RELAY_BEAT = 'idle-heartbeat/sse/relay-heartbeat';
const POLY_SILENT = 'polyfill/sse/polyfill-heartbeat-silent';
const POLY_BEAT = 'polyfill/sse/polyfill-heartbeat-comments';
const NATIVE = 'polyfill/sse/native-silent';
const WS_SILENT = 'idle-heartbeat/ws/relay-silent';
const NGINX = (beat: 'off' | 'shorter' | 'longer') => `proxy-idle/sse/heartbeat-${beat}`;
const NGINX_WS = (beat: 'off' | 'shorter') => `proxy-idle/ws/heartbeat-${beat}`;

/** One intermediary's answer: did it cut a silent stream, and did the comments keep the stream open? */
interface Intermediary {
  /** The key of its figure. */
  key: 'relay' | 'polyfill' | 'nginx';
  name: string;
  cut: boolean;
  kept: boolean;
  /** How the comments fared, as the text states it. */
  comments: string;
}

/** An intermediary's answer as a figure. */
const answer = (i: Intermediary) => `${i.cut ? 'cut-silence' : 'left-silence'}-${i.kept ? 'kept-by-comments' : 'not-kept-by-comments'}`;

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
        browser: e.browser,
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
        nginx: nginxSeen(e),
        deadPeers: (['sse', 'ws', 'socketio'] as const).map((transport) => {
          const id = `cluster-dead-peers/${transport}/default`;
          const freed = e.count(id, 'freedByServer');
          return {
            transport,
            clients: e.count(id, 'clients'),
            freed,
            lastMs: freed > 0 ? e.fact<number>(id, 'serverFreedLastMs') : null,
            watchMs: e.fact<number>(id, 'watchMs'),
          };
        }),
      };
    },
    decide(s) {
      const kept = (k: boolean) => (k ? 'comments kept the stream open' : 'cut it despite comments');
      const { shorter, longer } = s.nginx;
      const intermediaries: Intermediary[] = [
        {
          key: 'relay',
          name: 'the relay',
          cut: s.relaySilent.cuts > 0,
          kept: s.relayBeat.cuts === 0,
          comments: kept(s.relayBeat.cuts === 0),
        },
        {
          key: 'polyfill',
          name: 'event-source-polyfill',
          cut: s.polySilent.reopened > 0,
          kept: s.polyBeatReopened === 0,
          comments: kept(s.polyBeatReopened === 0),
        },
        {
          key: 'nginx',
          name: `nginx (read timeout ${s.nginx.readTimeoutS} s)`,
          cut: s.nginx.silent.cut,
          // Kept by the comments, not by chance: those under its timeout were not cut, those over it were.
          kept: !shorter.cut && longer.cut,
          comments: shorter.cut
            ? `cut it despite comments every ${shorter.heartbeatMs} ms`
            : longer.cut
              ? `comments every ${shorter.heartbeatMs} ms kept the stream open and every ${longer.heartbeatMs} ms did not`
              : `comments every ${shorter.heartbeatMs} ms and every ${longer.heartbeatMs} ms both kept it: the interval made no difference`,
        },
      ];
      const needed = intermediaries.some((i) => i.cut);
      const commentsHelp = intermediaries.every((i) => i.kept);
      return {
        verdict: needed && commentsHelp ? (s.native.reopened === 0 ? 'depends' : 'confirmed') : 'refuted',
        intermediaries,
        figures: {
          ...Object.fromEntries(intermediaries.map((i) => [i.key, answer(i)])),
          nativeReopened: s.native.reopened,
          relaySilentCuts: s.relaySilent.cuts,
          relayCommentCuts: s.relayBeat.cuts,
          polyfillSilentReopened: s.polySilent.reopened,
          polyfillCommentsReopened: s.polyBeatReopened,
          nginxSilentCut: s.nginx.silent.cut,
          nginxShorterCommentsCut: s.nginx.shorter.cut,
          nginxLongerCommentsCut: s.nginx.longer.cut,
        },
      };
    },
    word: ({ browser, native, relaySilent, relayBeat, wsSilent, polySilent, polyBeatReopened, wsBeatCuts, nginx, deadPeers }, d) =>
      `With no intermediary, ${browser}'s own EventSource reopened a silent stream ${times(native.reopened)} in ${native.watchMs} ms. ` +
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
      nginxWords(nginx) +
      `Per intermediary: ${d.intermediaries
        .map((i) => `${i.name}: ${i.cut ? 'cut silence' : 'did not cut silence'}, ${i.comments}`)
        .join('; ')}; with no intermediary, ${native.reopened === 0 ? 'nothing cut it' : 'the browser reopened it'}. ` +
      // What a heartbeat does not do: against a peer gone silent (no FIN, no RST) a comment is a write that succeeds.
      `Against clients whose network went silent without a FIN or RST (default heartbeats), the servers freed: ${deadPeers
        .map((p) => `${p.transport} ${p.freed} of ${p.clients}${p.lastMs === null ? ` within ${p.watchMs} ms` : ` by ${ms(p.lastMs)}`}`)
        .join(', ')}: an SSE comment lands in kernel buffers, so it keeps an intermediary's timer alive but detects no dead peer. ` +
      closing(d.verdict, {
        confirmed: 'Silence was cut even with no intermediary, and comments kept the stream: confirmed.',
        depends:
          `In the ${native.watchMs} ms watched the browser did not cut a silent stream (native EventSource has no watchdog: ` +
          'it would not notice a half-open connection either, which this run did not test); a proxy or the polyfill that ' +
          'times out silence does cut one, and comments kept the stream: depends on what sits in between.',
        refuted: 'Silent streams were not cut, or the comments did not decide whether they stayed open: refuted.',
      }),
  }),
} satisfies RuleSet;

/**
 * proxy-idle through nginx (tuned, a short proxy_read_timeout): SSE silent, with comments shorter and
 * longer than it, and a raw WebSocket.
 */
function nginxSeen(e: Evidence) {
  const beat = (b: 'off' | 'shorter' | 'longer') => {
    const cut = e.fact<boolean>(NGINX(b), 'cut') ?? false;
    return {
      heartbeatMs: e.setup<number | null>(NGINX(b), 'heartbeatMs') ?? null,
      cut,
      // When, whether the page came back and what it lost: cited only for a cut.
      silentMs: cut ? e.fact<number | null>(NGINX(b), 'lastUpstreamByteToCutMs') : undefined,
      cameBack: cut ? e.fact<boolean>(NGINX(b), 'cameBack') : undefined,
      lost: cut ? e.count(NGINX(b), 'lost') : undefined,
    };
  };
  const wsCut = e.fact<boolean>(NGINX_WS('off'), 'cut') ?? false;
  return {
    readTimeoutS: e.setup<number>(NGINX('off'), 'readTimeoutS'),
    silent: beat('off'),
    shorter: beat('shorter'),
    longer: beat('longer'),
    ws: {
      cut: wsCut,
      cameBack: wsCut ? e.fact<boolean>(NGINX_WS('off'), 'cameBack') : undefined,
      lost: wsCut ? e.count(NGINX_WS('off'), 'lost') : undefined,
      pingsMs: e.setup<number>(NGINX_WS('shorter'), 'heartbeatMs'),
      pingsCut: e.fact<boolean>(NGINX_WS('shorter'), 'cut') ?? false,
    },
  };
}

function nginxWords(n: ReturnType<typeof nginxSeen>): string {
  const sse = (b: ReturnType<typeof nginxSeen>['silent'], what: string) =>
    b.cut
      ? `${what} was cut ${ms(b.silentMs)} after the server's last byte ` +
        `(the EventSource came back by itself: ${yes(b.cameBack)}, quotes lost: ${b.lost})`
      : `${what} was not cut`;
  return (
    `Through nginx with proxy_read_timeout ${n.readTimeoutS} s: ` +
    `${sse(n.silent, 'the silent stream')}; ` +
    `${sse(n.shorter, `with a \`:\` comment every ${n.shorter.heartbeatMs} ms it`)}; ` +
    `${sse(n.longer, `with one every ${n.longer.heartbeatMs} ms it`)}. ` +
    `A silent raw WebSocket through it was cut: ${yes(n.ws.cut)}` +
    `${n.ws.cut ? ` (came back by itself: ${yes(n.ws.cameBack)}, quotes lost: ${n.ws.lost})` : ''}, ` +
    `and with ping frames every ${n.ws.pingsMs} ms: ${yes(n.ws.pingsCut)}. `
  );
}
