/**
 * Simplicity (sse-simpler): the lab's own parallel SSE and ws implementations counted in
 * non-comment lines (the reconnect scenario's code-size records), line counts standing in for
 * simplicity, with what the browser's SSE block gets for free beside them.
 */
import { type RuleSet, rule } from './rule.ts';
import { closing } from './words.ts';

const DROPPED = 'reconnect/sse/retry-500-destroy';

export const SIMPLICITY_RULES = {
  'sse-simpler': rule({
    read(e) {
      const lines = (t: string, what: string) => e.count(`reconnect/${t}/code-size`, what);
      // Which files each count covers: the transport's own file and the modules only its kind uses (the records' lists).
      const files = (what: string) =>
        ['sse', 'ws'].map((t) => (e.fact<string[]>(`reconnect/${t}/code-size`, what) ?? []).join(' + ')).join(' vs ');
      const axes: [string, number, number][] = [
        ['server lines', lines('sse', 'serverLines'), lines('ws', 'serverLines')],
        ['Node client lines', lines('sse', 'clientLines'), lines('ws', 'clientLines')],
        [
          'browser reconnect + resume code lines (scenarios/page/lab-page.js)',
          lines('sse', 'browserReconnectLines'),
          lines('ws', 'browserReconnectLines'),
        ],
      ];
      return {
        axes,
        files: { server: files('serverFiles'), client: files('clientFiles') },
        socketio: { server: lines('socketio', 'serverLines'), client: lines('socketio', 'clientLines') },
        droppedOpens: e.count(DROPPED, 'opens'),
        droppedLastEventId: e.fact(DROPPED, 'lastEventIdSent'),
        sseServerPackages: e.fact('reconnect/sse/code-size', 'serverPackages'),
        wsServerPackages: e.fact('reconnect/ws/code-size', 'serverPackages'),
      };
    },
    decide({ axes }) {
      const smaller = axes.filter(([, sse, ws]) => sse < ws).length;
      const larger = axes.filter(([, sse, ws]) => sse > ws).length;
      return {
        verdict: smaller === axes.length ? 'confirmed' : larger === axes.length ? 'refuted' : 'depends',
        smaller,
        larger,
        figures: Object.fromEntries(
          axes.flatMap(([name, sse, ws]) => [
            [`sse ${name}`, sse],
            [`ws ${name}`, ws],
          ]),
        ),
      };
    },
    word: (s, d) =>
      "Measured on the lab's own parallel implementations (non-comment lines; each transport's file with the modules " +
      `only its kind uses: servers ${s.files.server}, clients ${s.files.client}): ` +
      `${s.axes.map(([name, sse, ws]) => `${name}: SSE ${sse}, raw ws ${ws}`).join('; ')}; ` +
      `socket.io: ${s.socketio.server} server and ${s.socketio.client} client lines. ` +
      `SSE is smaller on ${d.smaller} of ${s.axes.length} counts and larger on ${d.larger}. ` +
      'In the browser the SSE block is a plain EventSource, which reconnected by itself after a drop ' +
      `(opens: ${s.droppedOpens}) and sent Last-Event-ID ${s.droppedLastEventId}; ` +
      'the raw WebSocket block is its own reconnect and ?since= resume loop. ' +
      `The SSE server imports ${JSON.stringify(s.sseServerPackages)}, the ws server ${JSON.stringify(s.wsServerPackages)}. ` +
      closing(d.verdict, {
        confirmed: 'Every count is smaller for SSE: confirmed, with line counts as a proxy for simplicity.',
        refuted: 'Every count is larger for SSE: refuted, with line counts as a proxy for simplicity.',
        depends: 'Line counts are a proxy for simplicity, and here they point both ways: depends.',
      }),
  }),
} satisfies RuleSet;
