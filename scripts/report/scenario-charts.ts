/**
 * Charts and matrices built from the scenario records: binary bytes per payload byte, the
 * reconnection timeline, retry vs measured delay, client-to-server round trips, and the
 * cross-origin, certificate, reconnect-delay and connection-limit matrices. Each reads the named
 * records' observed facts only, and has a series, a line or a column for every transport whose
 * records exist (SSE over HTTP/2's included), placed by the transport's capabilities rather than
 * its name. A browser case has a record per engine: charts draw a series per engine, tables have
 * an engine column, and captions name the engines the records came from.
 */
import type { Json, ScenarioRecord, ScenariosFile } from '../../scenarios/types.ts';
import type { ClaimId } from '../lib/claims.ts';
import { TRANSPORT_NAMES, TRANSPORTS, type Transport } from '../../servers/transports.ts';
import type { Engine } from '../lib/browser.ts';
import { axes, LABELS, round, series, type ChartSpec, type Dataset } from './charts.ts';
import type { Block } from './blocks.ts';
import { barColor, byCase, caseId, clientOf, clientsOf, lineStyle, nameOf, ranIn } from './engines.ts';

export type Facts = { [key: string]: Json };
/** A record's observed facts (none for a missing record). */
export const facts = (r: ScenarioRecord | undefined): Facts => r?.observed.facts ?? {};
/** A fact that is a number, else null. */
export const num = (v: Json | undefined): number | null => (typeof v === 'number' ? v : null);

/** One scenario's observed records (not-run ones have nothing to draw), in run order. */
export function observed(scenarios: ScenariosFile, scenario: string): ScenarioRecord[] {
  return scenarios.records.filter((r) => r.scenario === scenario && r.status === 'observed');
}

/** What each binary encoding is called in the chart's legend (the record's setup.encoding); others go by the transport's label. */
const ENCODINGS: Record<string, string> = {
  ws: 'WebSocket binary frames',
  socketio: 'socket.io binary',
  'sse-base64': 'SSE, base64 in data: lines',
};

/** The transports of some records, each once, in the order the records list them. */
const transportsOf = (records: ScenarioRecord[]): Transport[] => [...new Set(records.map((r) => r.transport))];

/** Each transport with each client that ran it (engines in order, then Node): one series each. */
const seriesOf = (records: ScenarioRecord[]): [Transport, Engine | undefined][] =>
  transportsOf(records).flatMap((t) =>
    clientsOf(records.filter((r) => r.transport === t)).map((e): [Transport, Engine | undefined] => [t, e]),
  );

function binaryChart(scenarios: ScenariosFile): ChartSpec | null {
  const records = observed(scenarios, 'binary').filter((r) => /^(binary|base64)-\d+$/.test(r.case));
  const sizes = [...new Set(records.map((r) => r.observed.bytes?.payloadPerMessage ?? 0))].sort((a, b) => a - b);
  if (sizes.length === 0) return null;
  const ratio = (t: string, engine: Engine | undefined) =>
    sizes.map((size) =>
      num(
        facts(records.find((r) => r.transport === t && r.engine === engine && r.observed.bytes?.payloadPerMessage === size))
          .wireToPayloadRatio,
      ),
    );
  const datasets: Dataset[] = seriesOf(records).map(([t, engine]) => {
    const encoding = String(records.find((r) => r.transport === t)!.setup.encoding ?? '');
    return series(t, ratio(t, engine), { label: `${ENCODINGS[encoding] ?? LABELS[t]} (${nameOf(engine)})`, ...lineStyle(engine) });
  });
  const big = records
    .filter((r) => TRANSPORTS[r.transport].binary === 'base64' && r.observed.bytes?.payloadPerMessage === sizes.at(-1))
    .map((r) => `${num(facts(r).wireToPayloadRatio) ?? '?'} in ${clientOf(r)}`);
  return {
    id: 'binary-bytes-per-message',
    title: 'Bytes on the wire per byte of binary payload',
    caption:
      `Random payloads sent 20 times each to pages ${ranIn(records)}, bytes counted on the server's socket. base64 settles at ` +
      `4/3 plus the SSE field and chunk framing (${big.join(', ') || '?'} at ${sizes.at(-1)} B); WebSocket frames approach 1.0; ` +
      'socket.io pays a placeholder packet per message, which dominates small payloads.',
    claims: ['sse-base64-costs-bandwidth', 'sse-text-only'],
    config: {
      type: 'line',
      data: { labels: sizes.map((s) => (s >= 1024 ? `${s / 1024} KiB` : `${s} B`)), datasets },
      options: axes('payload per message', 'wire bytes ÷ payload bytes (log scale)', {
        logY: true,
        // Ticks where the caption points: 1 (the payload alone), 4/3 (base64), and powers of two above.
        logTicks: [1, 4 / 3, 2, 4].map((value) => ({ value, label: value === 4 / 3 ? '4/3' : String(value) })),
      }),
    },
  };
}

/**
 * Cumulative quotes received against time since the page saw the connection go (its first close
 * or error event): the same anchor for every transport, read from the page's own events.
 */
function timeline(record: ScenarioRecord | undefined): { x: number; y: number }[] {
  const events = record?.observed.events ?? [];
  const lost = events.find((e) => e.type === 'close' || e.type === 'error');
  if (!lost) return [];
  const quotes = events.filter((e) => e.type === 'quote' || e.type === 'message');
  const points = quotes.map((e, i) => ({ x: Number((e.t - lost.t).toFixed(1)), y: i + 1 }));
  // A case that watched for a reconnect that never came: the count stays flat to the end of the watch.
  const watched = num(record?.setup.watchMs);
  if (watched !== null && (points.at(-1)?.x ?? 0) < watched) points.push({ x: watched, y: quotes.length });
  return points;
}

/**
 * The timeline's lines for a transport, by its browser API: which of its records (their case), how each line is labelled,
 * and its lane's short name on the axis.
 */
function reconnectLines(t: Transport): [string, string, string, Partial<Dataset>][] {
  switch (TRANSPORTS[t].browserApi) {
    case 'EventSource':
      return [[`reconnect/${t}/retry-500-destroy`, `${LABELS[t]} (retry: 500), native EventSource`, LABELS[t], {}]];
    case 'WebSocket':
      return [
        [`reconnect/${t}/destroy`, 'raw WebSocket, no reconnect code', 'ws, no reconnect', { borderDash: [2, 3] }],
        [`reconnect/${t}/hand-written-resume`, 'raw WebSocket + hand-written resume', 'ws + resume', {}],
      ];
    case 'socket.io':
      return [[`reconnect/${t}/destroy`, `${LABELS[t]} with state recovery`, LABELS[t], {}]];
    default:
      return [];
  }
}

/** EventSource transports first (they reconnect by themselves), then WebSocket, then socket.io. */
const API_ORDER = ['EventSource', 'WebSocket', 'socket.io'];
const byApi = (a: Transport, b: Transport) =>
  API_ORDER.indexOf(TRANSPORTS[a].browserApi ?? '') - API_ORDER.indexOf(TRANSPORTS[b].browserApi ?? '');

/** Of a lane's height, the part its line climbs to at the most quotes any lane received: lanes never touch. */
const LANE_FILL = 0.8;

function reconnectCharts(scenarios: ScenariosFile): ChartSpec[] {
  const records = observed(scenarios, 'reconnect');
  // One line per case and engine: the same case's records in every engine, Chromium's first.
  const lines = transportsOf(records)
    .sort(byApi)
    .flatMap((t) =>
      reconnectLines(t).flatMap(([id, label, short, extra]) =>
        byCase(records.filter((r) => caseId(r) === id)).map((r) => ({
          t,
          r,
          label: `${label} (${clientOf(r)})`,
          short: `${short} · ${clientOf(r)}`,
          extra,
          points: timeline(r),
        })),
      ),
    )
    .filter(({ points }) => points.length > 0);
  // Each line in its own lane, top to bottom in legend order, on one scale of quotes: where engines and transports agree,
  // their lines no longer lie on top of each other.
  const most = Math.max(1, ...lines.map(({ points }) => points.at(-1)!.y));
  // The x axis in 500-ms steps from the first quote drawn, so 0 (the drop) is always a tick, on a phone too.
  const STEP_MS = 500;
  const earliest = Math.floor(Math.min(0, ...lines.map(({ points }) => points[0]!.x)) / STEP_MS) * STEP_MS;
  const base = (i: number) => lines.length - 1 - i;
  const datasets = lines.map(({ t, r, label, extra, points }, i) =>
    // Stepped: the count holds until the next quote arrives, so an outage is a flat line, not a slope across it. The line
    // starts at the lane's floor (no quote yet) just before its first quote.
    series(
      t,
      [{ x: points[0]!.x, y: 0 }, ...points].map((p) => ({ x: p.x, y: round(base(i) + (LANE_FILL * p.y) / most, 3)! })),
      { label, pointRadius: 1.5, stepped: true, ...lineStyle(r.engine), ...extra },
    ),
  );
  const charts: ChartSpec[] = [];
  if (datasets.length > 0) {
    charts.push({
      id: 'reconnect-timeline',
      title: 'Quotes received around a dropped connection',
      caption:
        `The server destroys the socket while quotes keep being published, to pages ${ranIn(lines.map((l) => l.r))}; 0 ms ` +
        'is when the page saw the connection go (its close or error event). Each page has its own lane; its line climbs one ' +
        `step per quote received, on the same scale in every lane (the top of a lane's line is ${most} quotes). Read each ` +
        'lane for a second rise: a transport that came back and caught up on what it missed climbs again after 0, one that ' +
        'stayed closed stays flat.',
      claims: ['sse-auto-reconnect', 'ws-needs-library-to-reconnect', 'sse-event-ids-resume'],
      height: 120 + 34 * lines.length,
      config: {
        type: 'line',
        data: { labels: [], datasets },
        options: {
          ...axes('ms since the page saw the drop', ''),
          // The lanes are named on the axis (no legend, no axis title: room for the names on a phone); a point's height is a
          // lane position, not a count, so no tooltip either.
          plugins: { legend: { display: false }, tooltip: { enabled: false } },
          scales: {
            x: {
              type: 'linear',
              min: earliest,
              ticks: { stepSize: STEP_MS },
              title: { display: true, text: 'ms since the page saw the drop' },
            },
            y: {
              min: -0.1,
              max: lines.length,
              // The lanes' names, at their middle (the page's script applies labTicks).
              labTicks: lines.map(({ short }, i) => ({ value: base(i) + LANE_FILL / 2, label: short })),
            },
          },
        },
      },
    });
  }
  // The retry sweep of every EventSource transport: one bar per transport and engine beside the value sent.
  const retries = browserRetries(records);
  const settings = [...new Set(retries.map((r) => num(r.setup.retryMs)))];
  if (retries.length > 0) {
    const delay = (t: Transport, engine: Engine | undefined, retry: number | null) =>
      num(facts(retries.find((r) => r.transport === t && r.engine === engine && num(r.setup.retryMs) === retry)).reconnectDelayMs);
    const defaults = retries
      .filter((r) => r.setup.retryMs === null)
      .map((r) => `${clientOf(r)} ${formatMs(num(facts(r).reconnectDelayMs))} (${LABELS[r.transport]})`);
    charts.push({
      id: 'sse-retry-vs-delay',
      title: 'SSE: the retry: value vs the measured reconnection delay',
      caption:
        `EventSource ${ranIn(retries)} waits the stream's last \`retry:\` value before reconnecting; with none sent it uses its ` +
        `engine's own default${defaults.length ? ` (measured: ${defaults.join(', ')})` : ''}. Measured from the drop to the new ` +
        "request: as the server's wire tap saw it over HTTP/1.1, as the browser reports sending it over HTTP/2 (TLS hides the " +
        'request from the tap; each record names its source).',
      claims: ['sse-auto-reconnect'],
      config: {
        type: 'bar',
        data: {
          labels: settings.map((retry) => (retry === null ? 'none sent' : `retry: ${retry}`)),
          datasets: [
            { label: 'retry: sent (ms)', data: settings, backgroundColor: '#9ecae1' },
            ...seriesOf(retries).map(([t, engine]) => ({
              label: `${LABELS[t]} (${nameOf(engine)}): measured delay (ms)`,
              data: settings.map((retry) => delay(t, engine, retry)),
              backgroundColor: barColor(TRANSPORTS[t].color, engine),
            })),
          ],
        },
        options: axes('retry setting', 'ms'),
      },
    });
  }
  return charts;
}

/** The EventSource drops of the retry sweep, one record per transport, retry setting and engine. */
const browserRetries = (records: ScenarioRecord[]) =>
  records.filter((r) => TRANSPORTS[r.transport].browserApi === 'EventSource' && /^retry-.*-destroy$/.test(r.case));

const formatMs = (ms: number | null) => (ms === null ? '?' : `${Math.round(ms)} ms`);

/** A round trip's bytes on the wire, saying so where they include TLS records (a TLS-only transport). */
function perRoundTrip(r: ScenarioRecord): string {
  const tls = TRANSPORTS[r.transport].tls === 'required' ? ' (TLS records included)' : '';
  return `${LABELS[r.transport]} in ${clientOf(r)} ${r.observed.bytes?.perRoundTrip ?? '?'} B${tls}`;
}

function directionChart(scenarios: ScenariosFile): ChartSpec | null {
  const records = byCase(observed(scenarios, 'direction').filter((r) => r.case === 'round-trips'));
  if (records.length === 0) return null;
  const rtt = (r: ScenarioRecord, k: string) => num((facts(r).rttMs as Facts | undefined)?.[k]);
  const labels = records.map((r) => `${LABELS[r.transport]} (${clientOf(r)}, ${String(facts(r).upstream ?? '')})`);
  return {
    id: 'direction-round-trip',
    title: 'Client-to-server round trips from the page',
    caption:
      `Sequential round trips ${ranIn(records)} (${records[0]!.observed.counts?.samples ?? '?'} samples each after a warm-up). ` +
      'SSE has no upstream: each ping is a fetch POST, on another connection over HTTP/1.1 and beside the stream on the same ' +
      `connection over HTTP/2, with ${records.map(perRoundTrip).join(', ')} on the wire per round trip.`,
    claims: ['sse-one-way'],
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'p50', data: records.map((r) => rtt(r, 'p50')), backgroundColor: '#c6dbef' },
          { label: 'p90', data: records.map((r) => rtt(r, 'p90')), backgroundColor: '#6baed6' },
          { label: 'p99', data: records.map((r) => rtt(r, 'p99')), backgroundColor: '#2171b5' },
        ],
      },
      options: axes('transport (engine, upstream method)', 'round trip (ms)'),
    },
  };
}

export function scenarioCharts(scenarios: ScenariosFile): ChartSpec[] {
  return [binaryChart(scenarios), ...reconnectCharts(scenarios), directionChart(scenarios)].filter((c): c is ChartSpec => c !== null);
}

/** A fact as a table cell: booleans as yes/no, nothing as an empty cell, anything else as text. */
export const yesNo = (v: Json | undefined) => (v === true ? 'yes' : v === false ? 'no' : v === null || v === undefined ? null : String(v));
const caseName = (r: ScenarioRecord) => r.case.replace(/-/g, ' ');

/** The reconnection delay each browser measured after a drop, and the setting it was given. */
function reconnectTable(scenarios: ScenariosFile): Block | null {
  const records = byCase(observed(scenarios, 'reconnect').filter((r) => r.engine && num(facts(r).reconnectDelayMs) !== null));
  if (records.length === 0) return null;
  const setting = (r: ScenarioRecord) =>
    r.setup.retryMs !== undefined
      ? r.setup.retryMs === null
        ? 'retry: none sent'
        : `retry: ${String(r.setup.retryMs)}`
      : r.setup.reconnectDelayMs !== undefined
        ? `own code, ${String(r.setup.reconnectDelayMs)} ms`
        : r.setup.reconnectionDelay !== undefined
          ? `reconnectionDelay ${String(r.setup.reconnectionDelay)}`
          : null;
  return {
    kind: 'table',
    caption: `Reconnection delays ${ranIn(records)}: from the drop to the new request, each case in each engine`,
    head: ['transport', 'case', 'engine', 'setting', 'drop', 'reconnected after', 'Last-Event-ID sent', 'measured by'],
    rows: records.map((r) => {
      const f = facts(r);
      return [
        LABELS[r.transport],
        caseName(r),
        clientOf(r),
        setting(r),
        String(r.setup.dropMode ?? ''),
        formatMs(num(f.reconnectDelayMs)),
        f.lastEventIdSent === undefined ? null : String(f.lastEventIdSent),
        typeof f.requestsFrom === 'string' ? f.requestsFrom : 'the page',
      ];
    }),
  };
}

/** How many EventSources (or WebSockets) each engine opened to one origin, and what waited behind them. */
function connectionLimitTable(scenarios: ScenariosFile): Block | null {
  const records = byCase(observed(scenarios, 'connection-limit'));
  if (records.length === 0) return null;
  const count = (r: ScenarioRecord, name: string) => r.observed.counts?.[name] ?? null;
  return {
    kind: 'table',
    caption: `Connections per origin ${ranIn(records)}: ${String(records[0]!.setup.asked ?? '?')} asked for, each case in each engine`,
    head: [
      'transport',
      'case',
      'engine',
      'opened',
      'streams at the server',
      'TCP connections (server or relay)',
      'fetch to the same origin',
      'WebSocket to the same host',
      'EventSource from a second tab',
      'opened after closing one',
    ],
    rows: records.map((r) => {
      const f = facts(r);
      return [
        LABELS[r.transport],
        caseName(r),
        clientOf(r),
        `${count(r, 'opened') ?? '?'} of ${String(r.setup.asked ?? '?')}`,
        count(r, 'serverStreams'),
        count(r, 'serverConnections') ?? count(r, 'serverSessions'),
        f.sameOriginFetchCompleted === undefined ? null : f.sameOriginFetchCompleted ? 'completed' : 'timed out',
        yesNo(f.websocketSameHostPortOpened),
        yesNo(f.secondTabEventSourceOpened),
        count(r, 'openedAfterClosingOne'),
      ];
    }),
  };
}

/** The cases of a scenario some client could not run, by client and reason: the rows a matrix of observed records lacks. */
function notRunNote(scenarios: ScenariosFile, scenario: string): Block | null {
  const missing = scenarios.records.filter((r) => r.scenario === scenario && r.status === 'not-run');
  if (missing.length === 0) return null;
  const groups = new Map<string, ScenarioRecord[]>();
  for (const r of missing) {
    const key = `${clientOf(r)}\n${(r.reason ?? 'no reason given').replace(/^lab: not run in [A-Za-z]+: /, '')}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const items = [...groups].map(([key, list]) => {
    const [client, reason] = key.split('\n');
    const cases = [...new Set(list.map(caseName))].join(', ');
    const transports = [...new Set(list.map((r) => LABELS[r.transport]))].join(', ');
    return `${client}: ${cases} (${transports}) — ${reason}`;
  });
  return { kind: 'list', items: items.map((i) => `Not run in ${i}`) };
}

/** Certificate settings whose outcome holds only under a condition the row must say. */
const SETTING_NOTES: Record<string, string> = {
  'https-page-to-plain':
    'https page to plain (to http://localhost, which browsers treat as potentially trustworthy, so not mixed content; ' +
    'to a real host name over plain http it would be, and would be blocked: not measured here)',
};

/** The cross-origin, certificate, reconnect-delay and connection-limit matrices, placed in the sections of the claims they bear on. */
export function scenarioTables(scenarios: ScenariosFile): { claims: ClaimId[]; block: Block }[] {
  const tables: { claims: ClaimId[]; block: Block }[] = [];
  /** A matrix and, under it, the cases of its scenario an engine did not run. */
  const matrix = (claims: ClaimId[], scenario: string, block: Block | null) => {
    if (!block) return;
    tables.push({ claims, block });
    const note = notRunNote(scenarios, scenario);
    if (note) tables.push({ claims, block: note });
  };
  const cross = byCase(observed(scenarios, 'cross-origin'));
  if (cross.length > 0) {
    matrix(['sse-needs-cors-headers', 'ws-ignores-cross-origin', 'seed-credentials-with-wildcard-cors'], 'cross-origin', {
      kind: 'table',
      caption: `Cross-origin matrix: page and server on different origins, ${ranIn(cross)}, each case in each engine`,
      head: ['transport', 'case', 'engine', 'server', 'client', 'delivered / opened', 'readyState', 'cookie sent', 'retried'],
      rows: cross.map((r) => {
        const f = facts(r);
        const allowlist =
          r.setup.allowOrigins === undefined
            ? ''
            : r.setup.allowOrigins === 'page origin'
              ? ', page origin allowed'
              : ', page origin not allowed';
        const server = r.setup.cors !== undefined ? `CORS: ${String(r.setup.cors)}` : `${String(r.setup.server ?? '')}${allowlist}`;
        const client =
          r.setup.withCredentials !== undefined
            ? `withCredentials: ${String(r.setup.withCredentials)}${r.setup.client ? ` (${String(r.setup.client)})` : ''}`
            : r.setup.transports
              ? `transports: ${JSON.stringify(r.setup.transports)}`
              : '';
        return [
          LABELS[r.transport]!,
          caseName(r),
          clientOf(r),
          server,
          client,
          yesNo(f.delivered ?? f.opened ?? f.connected),
          r.observed.readyState ?? null,
          yesNo(f.cookieSent ?? f.cookieSeen),
          yesNo(f.retried ?? (num(r.observed.counts?.reconnectAttempts) ? true : undefined)),
        ];
      }),
    });
  }
  const certs = observed(scenarios, 'self-signed');
  if (certs.length > 0) {
    const settings = [...new Set(certs.map((r) => r.case))];
    const columns = transportsOf(certs).sort((a, b) => TRANSPORT_NAMES.indexOf(a) - TRANSPORT_NAMES.indexOf(b));
    const cell = (t: string, kase: string, engine: Engine | undefined) => {
      const r = certs.find((c) => c.transport === t && c.case === kase && c.engine === engine);
      if (!r) return null;
      const f = facts(r);
      const opened = f.opened ?? f.openedWithoutNewCode;
      const state = r.observed.readyState;
      return `${opened === true ? 'open' : 'refused'}${state !== undefined && state !== null ? ` (readyState ${state})` : ''}`;
    };
    // A row per setting and client: the engines that ran the setting side by side, Node clients' settings after them.
    const rows = settings.flatMap((s) =>
      clientsOf(certs.filter((r) => r.case === s)).map((engine) => [
        SETTING_NOTES[s] ?? s.replace(/-/g, ' '),
        nameOf(engine),
        ...columns.map((t) => cell(t, s, engine)),
      ]),
    );
    matrix(['ws-rejects-self-signed-sse-accepts'], 'self-signed', {
      kind: 'table',
      caption: `Certificate matrix: the same certificate and setting for each transport, ${ranIn(certs)} (browser rows first)`,
      head: ['setting', 'client', ...columns.map((t) => LABELS[t])],
      rows,
    });
  }
  matrix(['sse-auto-reconnect'], 'reconnect', reconnectTable(scenarios));
  matrix(['sse-six-connections-per-origin'], 'connection-limit', connectionLimitTable(scenarios));
  return tables;
}
