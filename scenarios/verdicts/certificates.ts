/**
 * Certificates (ws-rejects-self-signed-sse-accepts): EventSource and WebSocket against the same
 * untrusted certificate in each browser setting, after a later acceptance in another tab, and the
 * Node clients with and without the CA, from the self-signed scenario.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing, esState, ms, openOr, wsState } from './words.ts';

const SETTINGS = [
  'untrusted-default',
  'untrusted-ignore-https-errors',
  'spki-trusted',
  'clicked-through-same-host',
  'clicked-through-other-host',
];
const LATER = { sse: 'self-signed/sse/accepted-later', ws: 'self-signed/ws/accepted-later' };

export const CERTIFICATE_RULES = {
  'ws-rejects-self-signed-sse-accepts': rule({
    read(e) {
      const pairs = SETTINGS.map((s) => ({
        s,
        sse: e.fact<boolean>(`self-signed/sse/${s}`, 'opened'),
        ws: e.fact<boolean>(`self-signed/ws/${s}`, 'opened'),
      }));
      const later = {
        sse: e.fact<boolean>(LATER.sse, 'openedWithoutNewCode'),
        ws: e.fact<boolean>(LATER.ws, 'openedWithoutNewCode'),
      };
      const node = ['sse', 'ws', 'socketio'].map((t) => ({
        t,
        none: e.fact<boolean>(`self-signed/${t}/node-default`, 'opened'),
        ca: e.fact<boolean>(`self-signed/${t}/node-ca-option`, 'opened'),
        extra: e.fact<boolean>(`self-signed/${t}/node-extra-ca-certs`, 'opened'),
      }));
      return {
        pairs,
        later,
        node,
        stateBeforeAccepting: {
          sse: e.fact<number>(LATER.sse, 'readyStateBeforeAccepting'),
          ws: e.fact<number>(LATER.ws, 'readyStateBeforeAccepting'),
        },
        // How soon it opened is cited only for one that did.
        openedAfterAcceptMs: {
          sse: later.sse ? e.fact<number>(LATER.sse, 'openedAfterAcceptMs') : undefined,
          ws: later.ws ? e.fact<number>(LATER.ws, 'openedAfterAcceptMs') : undefined,
        },
      };
    },
    decide({ pairs, later }) {
      const sseOnly = pairs.filter((p) => p.sse === true && p.ws !== true).length;
      const wsOnly = pairs.filter((p) => p.ws === true && p.sse !== true).length;
      const laterSseOnly = later.sse === true && later.ws !== true;
      const laterWsOnly = later.ws === true && later.sse !== true;
      // Confirmed: some setting lets SSE through where ws is refused, none the reverse (the accepted-later case included);
      // depends: the settings all agree and only the accepted-later case differs, in SSE's favour; refuted otherwise.
      const verdict =
        sseOnly === 0 && wsOnly === 0 && laterSseOnly ? 'depends' : sseOnly > 0 && wsOnly === 0 && !laterWsOnly ? 'confirmed' : 'refuted';
      return {
        verdict,
        laterWsOnly,
        figures: {
          settingsAgreeing: pairs.filter((p) => p.sse === p.ws).length,
          settings: pairs.length,
          sseOnlySettings: sseOnly,
          wsOnlySettings: wsOnly,
          sseReopenedAfterAccept: later.sse ?? null,
          wsReopenedAfterAccept: later.ws ?? null,
        },
      };
    },
    word(s, d) {
      const { settingsAgreeing, settings, sseOnlySettings, wsOnlySettings } = d.figures;
      const nodeWith = (key: 'none' | 'ca' | 'extra') => s.node.map((n) => `${n.t} ${openOr(n[key])}`).join(', ');
      return (
        'For the same certificate and setting, EventSource and WebSocket got the same answer ' +
        `in ${settingsAgreeing} of ${settings} settings ` +
        `(${s.pairs.map((p) => `${p.s}: SSE ${openOr(p.sse)}, ws ${openOr(p.ws)}`).join('; ')}). ` +
        'A connection refused first and accepted afterwards in another tab: ' +
        `before accepting, the EventSource was in readyState ${esState(s.stateBeforeAccepting.sse)} ` +
        `and the WebSocket in ${wsState(s.stateBeforeAccepting.ws)}; ` +
        'afterwards the EventSource ' +
        `${s.later.sse ? `opened by itself ${ms(s.openedAfterAcceptMs.sse)} after the acceptance` : 'did not open'} ` +
        `and the WebSocket ${s.later.ws ? `opened by itself ${ms(s.openedAfterAcceptMs.ws)} after it` : 'stayed closed'}. ` +
        `Node clients: no CA -> ${nodeWith('none')}; \`ca\` option -> ${nodeWith('ca')}; NODE_EXTRA_CA_CERTS -> ${nodeWith('extra')}. ` +
        closing(d.verdict, {
          confirmed:
            `In ${sseOnlySettings} of the ${settings} settings EventSource got through where WebSocket was refused, ` +
            'and in none the reverse: confirmed.',
          depends:
            'The certificate decision was the same for both APIs in every setting; what differs is after a refusal: ' +
            'EventSource keeps retrying and opened once the certificate was accepted, a WebSocket fails once and stays closed. ' +
            'That, and a wss:// URL on a host the user never accepted, explain the claim: depends.',
          refuted:
            `EventSource got through alone in ${sseOnlySettings} of the ${settings} settings and WebSocket alone in ${wsOnlySettings}` +
            `${d.laterWsOnly ? '; after a later acceptance only the WebSocket came back' : ''}: refuted.`,
        })
      );
    },
  }),
} satisfies RuleSet;
