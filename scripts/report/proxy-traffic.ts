/**
 * What crosses nginx, from the proxy-compression, proxy-h2 and proxy-auth records: bytes per event
 * through nginx with and without gzip (a table and a chart), EventSources through HTTP/2 at the
 * proxy against HTTP/1.1, and what each way of sending a credential leaves behind. Each reads the
 * observed records' facts only and has a row for every record there is (none: no table).
 */
import type { Json, ScenarioRecord, ScenariosFile } from '../../scenarios/types.ts';
import type { Block, Cell } from './blocks.ts';
import { TRANSPORTS } from '../../servers/transports.ts';
import { axes, type ChartSpec, series } from './charts.ts';
import { barColor, byCase, clientOf, clientsOf, nameOf, ranIn } from './engines.ts';
import { observed, yesNo } from './scenario-charts.ts';

const fact = (r: ScenarioRecord, name: string): Json | undefined => r.observed.facts?.[name];
const cell = (value: Json | undefined): Cell =>
  value === undefined || value === null ? null : typeof value === 'number' || typeof value === 'string' ? value : JSON.stringify(value);

const PAYLOADS: Record<string, string> = {
  json: 'JSON quote',
  'base64-random': 'base64 of random bytes',
  'base64-repetitive': "base64 of 'x'-padded quote",
};

function compressionTable(records: ScenarioRecord[]): Block | null {
  if (records.length === 0) return null;
  return {
    kind: 'table',
    caption:
      `Bytes per event through nginx ${ranIn(records)}: \`tuned\` (no compression) against \`gzip\`, counted by TCP taps on ` +
      'both sides of nginx. Ratio = bytes the browser was sent ÷ payload bytes; delay = arrival in the page minus publish, median.',
    head: [
      'transport',
      'engine',
      'payload',
      'profile',
      'Content-Encoding',
      'payload B/event',
      'server → nginx B/event',
      'nginx → browser B/event',
      'ratio',
      'delay p50 ms',
    ],
    rows: records.map((r) => {
      const b = r.observed.bytes ?? {};
      return [
        r.transport,
        clientOf(r),
        PAYLOADS[String(r.setup.payload)] ?? cell(r.setup.payload),
        cell(r.setup.profile),
        cell(fact(r, 'contentEncoding')) ?? 'none',
        cell(b.payloadPerEvent),
        cell(b.serverWirePerEvent),
        cell(b.browserWirePerEvent),
        cell(fact(r, 'wireToPayloadRatio')),
        cell(fact(r, 'delayP50Ms')),
      ];
    }),
  };
}

function h2Table(records: ScenarioRecord[]): Block | null {
  if (records.length === 0) return null;
  return {
    kind: 'table',
    caption:
      `Eight EventSources to one origin through nginx, ${ranIn(records)}. Connections to nginx counted by a TCP tap in front ` +
      "of it; those carrying streams and the protocol from the browser's own account of its requests (each record's " +
      "`requestsFrom` names it; an engine whose account has no protocol leaves it empty); the server's figures from its own counters.",
    head: [
      'profile',
      'engine',
      'opened',
      'protocol (browser)',
      'TCP connections to nginx',
      'connections carrying streams',
      'nginx access log',
      'streams at the server',
      'connections nginx → server',
      'fetch after them',
    ],
    rows: records.map((r) => {
      const c = r.observed.counts ?? {};
      return [
        cell(r.setup.profile),
        clientOf(r),
        `${c.opened ?? '?'} of ${c.asked ?? '?'}`,
        cell(fact(r, 'protocols')),
        cell(c.browserConnections),
        cell(c.connectionsCarryingStreams),
        cell(fact(r, 'accessLogProtocols')),
        cell(c.serverStreams),
        cell(c.serverSockets),
        fact(r, 'sameOriginFetchCompleted') === true ? 'completed' : 'timed out',
      ];
    }),
  };
}

function authTable(records: ScenarioRecord[]): Block | null {
  if (records.length === 0) return null;
  return {
    kind: 'table',
    caption:
      "A credential sent with a stream through nginx `tuned` (access log in nginx's default `combined` format), to a server " +
      `that records where it arrived, ${ranIn(records)}.`,
    head: ['transport', 'engine', 'method', 'client', 'delivered', 'secret in access log', 'preflight', 'reached the server as'],
    rows: records.map((r) => [
      r.transport,
      clientOf(r),
      cell(r.setup.method),
      cell(r.setup.client),
      yesNo(fact(r, 'delivered')),
      yesNo(fact(r, 'credentialInAccessLog')),
      fact(r, 'preflight') === true ? `yes (${cell(fact(r, 'preflightAskedFor')) ?? 'OPTIONS'})` : 'no',
      (fact(r, 'reachedServerAs') as string[] | undefined)?.join(', ') || 'not at all',
    ]),
  };
}

/** The compression, HTTP/2-at-the-proxy and auth tables, for those scenarios that have records. */
export function proxyTrafficTables(scenarios: ScenariosFile): Block[] {
  return [
    compressionTable(byCase(observed(scenarios, 'proxy-compression'))),
    h2Table(byCase(observed(scenarios, 'proxy-h2'))),
    authTable(byCase(observed(scenarios, 'proxy-auth'))),
  ].filter((b): b is Block => b !== null);
}

/** Wire bytes per payload byte through `tuned` and `gzip`, one bar pair per transport and payload, in each engine. */
export function proxyTrafficCharts(scenarios: ScenariosFile): ChartSpec[] {
  const records = observed(scenarios, 'proxy-compression');
  const kinds = [...new Set(records.map((r) => `${r.transport} ${String(r.setup.payload)}`))];
  if (kinds.length === 0) return [];
  const ratio = (profile: string, engine: ScenarioRecord['engine']) =>
    kinds.map((kind) => {
      const r = records.find(
        (x) => `${x.transport} ${String(x.setup.payload)}` === kind && x.setup.profile === profile && x.engine === engine,
      );
      const value = r && fact(r, 'wireToPayloadRatio');
      return typeof value === 'number' ? value : null;
    });
  const random = records
    .filter((r) => r.setup.payload === 'base64-random' && r.setup.profile === 'gzip')
    .map((r) => `${String(fact(r, 'wireToPayloadRatio') ?? '?')} in ${clientOf(r)}`);
  return [
    {
      id: 'proxy-compression-ratio',
      title: 'Bytes the browser was sent per payload byte, through nginx without and with gzip',
      caption:
        `Counted by a TCP tap between the browser and nginx, ${ranIn(records)}. base64 of random bytes through gzip: ` +
        `${random.join(', ') || '?'} per payload byte, against base64's own 4/3 = 1.333; ` +
        'a raw WebSocket is not compressed by nginx at all.',
      claims: ['gzip-undoes-base64-overhead'],
      config: {
        type: 'bar',
        data: {
          labels: kinds.map((k) => k.replace(/ (.*)/, (_, p: string) => `: ${PAYLOADS[p] ?? p}`)),
          datasets: clientsOf(records).flatMap((engine) => [
            series('sse', ratio('tuned', engine), {
              label: `nginx tuned (no compression), ${nameOf(engine)}`,
              backgroundColor: barColor('#9e9e9e', engine),
              borderColor: '#9e9e9e',
            }),
            series('sse', ratio('gzip', engine), {
              label: `nginx gzip, ${nameOf(engine)}`,
              backgroundColor: barColor(TRANSPORTS.sse.color, engine),
            }),
          ]),
        },
        options: axes('transport and payload', 'wire bytes ÷ payload bytes (log scale)', { logY: true }),
      },
    },
  ];
}
