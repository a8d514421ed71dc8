/**
 * Chart specs: plain chart.js configurations (JSON only, no callbacks; the page turns animation off for every chart, so a
 * screenshot shows the final drawing) built from the results. Each chart has axis titles with units
 * and a caption that says what to notice (the HTML folds it under the chart; the README prints it).
 */
import type { ClaimId } from '../lib/claims.ts';
import { FLOOR, usesTls } from '../load/capabilities.ts';
import type { LoadResults, SpreadFigure, StepResult } from '../load/types.ts';
import { TRANSPORT_NAMES, TRANSPORTS, type Transport } from '../../servers/transports.ts';
import { cpuJudged, cpuLeftOut, runsNote, spreadOf, whisker, withRange } from './spread.ts';

export interface ChartSpec {
  /** Stable id: the canvas id in the HTML and the PNG file name. */
  id: string;
  title: string;
  /** What to notice, in one or two sentences; figures quoted come from the data. */
  caption: string;
  /** The claims whose sections show this chart. */
  claims: ClaimId[];
  config: ChartConfig;
  /** The canvas's height in CSS pixels, where the default 320 is too small (one lane per page). */
  height?: number;
}

export interface ChartConfig {
  type: 'line' | 'bar';
  data: { labels: (string | number)[]; datasets: Dataset[] };
  options: Record<string, unknown>;
}

export interface Dataset {
  label: string;
  /** Values by label, or {x, y} points on a linear x axis. */
  data: (number | null)[] | { x: number; y: number }[];
  /** A dataset of another type than the chart's (a line of points on a bar chart). */
  type?: 'line' | 'bar';
  /** The scale id of a second y axis. */
  yAxisID?: string;
  borderColor?: string | string[];
  /** One colour, or one per bar. */
  backgroundColor?: string | string[];
  borderDash?: number[];
  borderWidth?: number;
  pointRadius?: number;
  /** chart.js point shape ('circle' by default): tells apart series of one colour, such as one transport in two engines. */
  pointStyle?: string;
  showLine?: boolean;
  /** A step line: the value holds until the next point (a cumulative count), with no slope drawn across a gap. */
  stepped?: boolean;
  spanGaps?: boolean;
  /**
   * Per point, `[low, high]` drawn as a whisker through it (html.ts's labMarks plugin): the min–max of a repeated step's
   * runs, or the bracket a limit lies in; `null` draws none.
   */
  whiskers?: ([number, number] | null)[];
  /**
   * Per point, a short text drawn above it (labMarks), such as "≥ 1,000" on a lower bound, which the Markdown's table shows
   * in place of the value; `null` draws none.
   */
  marks?: (string | null)[];
}

/** Each transport's label and colour, from the registry: a transport cannot be missing from a chart's legend. */
export const LABELS = Object.fromEntries(TRANSPORT_NAMES.map((t) => [t, TRANSPORTS[t].label])) as Record<Transport, string>;

/** The x axis of the client sweeps: one category per step, evenly spaced whatever the numbers. */
export const CLIENTS_AXIS = 'concurrent clients (one category per step, not to scale)';

/** An axis's ticks, each with its label: a log axis at the values the text discusses, lanes by name (the page's script applies them). */
export type AxisTicks = { value: number; label: string }[];

/** Axis titles with units; everything else chart.js defaults. */
export function axes(
  x: string,
  y: string,
  extra: { logY?: boolean; stacked?: boolean; logTicks?: AxisTicks } = {},
): Record<string, unknown> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { position: 'bottom' } },
    scales: {
      x: { title: { display: true, text: x }, stacked: extra.stacked ?? false },
      y: {
        title: { display: true, text: y },
        beginAtZero: !extra.logY,
        stacked: extra.stacked ?? false,
        ...(extra.logY ? { type: 'logarithmic' } : {}),
        ...(extra.logTicks ? { labTicks: extra.logTicks } : {}),
      },
    },
  };
}

export function series(transport: Transport, data: Dataset['data'], extra: Partial<Dataset> = {}): Dataset {
  const color = TRANSPORTS[transport].color;
  return { label: TRANSPORTS[transport].label, data, borderColor: color, backgroundColor: color, spanGaps: true, ...extra };
}

export const round = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));
export const kb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? null : round(bytes / 1024));

function sweep(load: LoadResults, phase: StepResult['phase']) {
  const steps = load.steps.filter((s) => s.phase === phase && s.status !== 'failed');
  const transports = load.options.transports.filter((t) => steps.some((s) => s.transport === t));
  return { steps, transports };
}

/**
 * A transport's label in one run's charts, `(TLS)` added when it ran over TLS (every transport with
 * --tls; sse-h2 always), so a TLS figure is never read as a plain one. A schema 1 run had no TLS.
 */
export function runLabel(load: LoadResults, transport: Transport): string {
  return `${LABELS[transport]}${usesTls(transport, load.options.tls ?? false) ? ' (TLS)' : ''}`;
}

/** The load runner's charts: latency, memory, CPU, bytes, upstream; with a TLS pass, plain against TLS (ramp.ts: the ramp). */
export function loadCharts(load: LoadResults, tls: LoadResults | null = null): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const label = (t: Transport) => runLabel(load, t);
  const clients = sweep(load, 'clients');
  const ns = [...new Set(clients.steps.map((s) => s.clients))].sort((a, b) => a - b);
  const at = (transport: string, n: number) => clients.steps.find((s) => s.transport === transport && s.clients === n);
  const runs = runsNote(clients.steps);

  if (ns.length > 0) {
    const datasets: Dataset[] = [];
    for (const t of clients.transports) {
      const p50 = ns.map((n) => round(at(t, n)?.delivery.latencyMs.p50));
      const p99 = ns.map((n) => round(at(t, n)?.delivery.latencyMs.p99));
      const whiskers = (figure: 'p50Ms' | 'p99Ms') => ns.map((n) => whisker(spreadOf(at(t, n), figure)));
      if (TRANSPORTS[t].floor) {
        datasets.push(series(t, p99, { label: `${label(t)} p99`, borderDash: [6, 4], borderWidth: 2, whiskers: whiskers('p99Ms') }));
      } else {
        datasets.push(series(t, p99, { label: `${label(t)} p99`, whiskers: whiskers('p99Ms') }));
        datasets.push(series(t, p50, { label: `${label(t)} p50`, borderDash: [2, 3], pointRadius: 2, whiskers: whiskers('p50Ms') }));
      }
    }
    charts.push({
      id: 'latency-vs-clients',
      title: 'Delivery latency vs concurrent clients',
      caption:
        `Receive time minus the quote's send stamp, at ${load.options.rate} quote/s, over a ${load.options.duration} s window ` +
        'per step. The dashed grey line is the raw-TCP floor: the gap above it is what each protocol and library adds as the ' +
        `fan-out grows. ${runs}`,
      claims: ['ws-heavier-than-sse'],
      config: {
        type: 'line',
        data: { labels: ns, datasets },
        options: axes(CLIENTS_AXIS, 'latency (ms, log scale)', { logY: true }),
      },
    });

    charts.push({
      id: 'memory-per-connection',
      title: 'Server heap per connection',
      caption:
        'Heap after a forced GC: the loaded server minus its twin (same arguments, started at the same time, holding one ' +
        "client), divided by N − 1. Public anchor (socket.io's memory-usage page, Node 20, 10k clients): about 4 KB (3.9 KiB) " +
        'for ws and 9 KB (8.8 KiB) for socket.io. Not measured in this run: against a minimal `ws` server the lab’s held ' +
        'about 1.24× the heap per connection in a separate measurement (3.4 against 2.7 KiB at 2,000 clients; ' +
        'test/load/ws-memory.test.ts keeps it at or under 1.4); the rest is what every lab ' +
        'transport carries — per-socket byte accounting for /stats (about 290 B) and listeners for protocol violations, the ' +
        `bad-input budget and client messages. ${runs}`,
      claims: ['ws-heavier-than-sse'],
      config: {
        type: 'bar',
        data: {
          labels: ns,
          datasets: clients.transports.map((t) =>
            series(
              t,
              ns.map((n) => kb(at(t, n)?.server.perConnection.heapBytes)),
              { label: label(t), whiskers: ns.map((n) => whisker(spreadOf(at(t, n), 'heapPerConnectionBytes'), (v) => v / 1024)) },
            ),
          ),
        },
        options: axes(CLIENTS_AXIS, 'heap per connection (KiB)'),
      },
    });

    // A window too short to judge CPU per delivery draws no bar (server.cpuJudged); the caption names it.
    const judged = (t: string, n: number) => {
      const step = at(t, n);
      return step && cpuJudged(step) ? step : undefined;
    };
    charts.push({
      id: 'cpu-per-1k-deliveries',
      title: 'Server CPU per 1,000 deliveries',
      caption:
        "Server CPU time over the window minus its one-client twin's, per 1,000 quotes delivered beyond the twin's; lower is " +
        'cheaper. Steadier than a breaking point on a shared machine, but only where the window holds many deliveries: ' +
        `${ns.map((n) => `${n} clients: ${at(clients.transports[0]!, n)?.server.messagesSent ?? '?'}`).join(', ')} per ` +
        `transport. ${runs}${cpuLeftOut(clients.steps, (s) => label(s.transport), load.options.cpuMinDeliveries)}`,
      claims: ['ws-heavier-than-sse'],
      config: {
        type: 'bar',
        data: {
          labels: ns,
          datasets: clients.transports.map((t) =>
            series(
              t,
              ns.map((n) => round(judged(t, n)?.server.netCpuMsPer1kDeliveries, 3)),
              { label: label(t), whiskers: ns.map((n) => whisker(spreadOf(judged(t, n), 'netCpuMsPer1kDeliveries'))) },
            ),
          ),
        },
        options: axes(CLIENTS_AXIS, 'CPU ms per 1,000 deliveries'),
      },
    });
  }

  const payload = sweep(load, 'payload');
  const pads = [...new Set(payload.steps.map((s) => s.padding))].sort((a, b) => a - b);
  if (pads.length > 0) {
    const byPad = (t: Transport, p: number) => payload.steps.find((s) => s.transport === t && s.padding === p);
    const floor = (p: number) => (FLOOR === null ? null : (byPad(FLOOR, p)?.server.bytesPerDelivery ?? null));
    const beyond = (t: Transport, p: number) => {
      const bytes = byPad(t, p)?.server.bytesPerDelivery ?? null;
      return bytes === null || floor(p) === null ? null : round(bytes - floor(p)!, 1);
    };
    // The spread of the transport's own bytes, less the floor's median: the floor's bytes barely move between runs.
    const beyondRange = (t: Transport, p: number) =>
      floor(p) === null ? null : whisker(spreadOf(byPad(t, p), 'bytesPerDelivery'), (v) => v - floor(p)!);
    const transports = payload.transports.filter((t) => !TRANSPORTS[t].floor);
    const tlsBeside = transports.filter(
      (t) => FLOOR !== null && usesTls(t, load.options.tls ?? false) !== usesTls(FLOOR, load.options.tls ?? false),
    );
    charts.push({
      id: 'bytes-per-delivery',
      title: 'Framing bytes per delivered quote, beyond the raw-TCP floor',
      caption:
        "Server socket bytes written per quote delivered, minus the TCP floor's (the JSON quote plus one newline: " +
        `${pads.map((p) => `${floor(p) ?? '?'} B at +${p} B`).join(', ')}). What is left is each protocol's framing per ` +
        'message; compare the groups to see whether it grows with the payload.' +
        (tlsBeside.length
          ? ` ${tlsBeside.map(label).join(', ')} ran over TLS beside a plain floor: their bars include each TLS record's ` +
            'header and tag (22 B in TLS 1.3).'
          : '') +
        ` ${runsNote(payload.steps)}`,
      claims: ['ws-heavier-than-sse', 'sse-base64-costs-bandwidth'],
      config: {
        type: 'bar',
        data: {
          labels: pads.map((p) => `+${p} B padding`),
          datasets: transports.map((t) =>
            series(
              t,
              pads.map((p) => beyond(t, p)),
              { label: label(t), whiskers: pads.map((p) => beyondRange(t, p)) },
            ),
          ),
        },
        options: axes('padding added to each ~70-byte JSON quote', 'bytes per delivery beyond raw TCP'),
      },
    });
  }

  if (load.upstream.length > 0) {
    const up = load.upstream;
    const repeated = up.filter((u) => (u.runs ?? 1) > 1);
    const rates = up
      .map(
        (u) => `${LABELS[u.transport]}${u.tls ? ' (TLS)' : ''} ${withRange(u.requestsPerSecond, u.spread?.requestsPerSecond ?? null, 0)}`,
      )
      .join(', ');
    charts.push({
      id: 'upstream-round-trip',
      title: 'Client-to-server round trips at fixed concurrency',
      caption:
        `${up[0]!.connections} connections, each waiting for its answer (closed loop). SSE has no upstream channel: its round ` +
        'trip is a separate HTTP POST (over HTTP/1.1 driven by autocannon, whole-millisecond timing; over HTTP/2 one session ' +
        'per connection, timed to the microsecond).' +
        (up.some((u) => u.tls) && !up.every((u) => u.tls) ? ' Those marked (TLS) ran over TLS beside plain ones.' : '') +
        ` Round trips per second: ${rates}.` +
        (repeated.length
          ? ` Each figure is the median of ${[...new Set(repeated.map((u) => u.runs))].join(' or ')} runs against a fresh server ` +
            '(in brackets and as the p99 whisker: min–max).'
          : ' One run each, not repeated.'),
      claims: ['sse-one-way'],
      config: {
        type: 'bar',
        data: {
          labels: up.map((u) => `${LABELS[u.transport]}${u.tls ? ' (TLS)' : ''}: ${u.method}`),
          datasets: [
            { label: 'p50', data: up.map((u) => round(u.latencyMs.p50, 3)), backgroundColor: '#9ecae1' },
            {
              label: 'p99',
              data: up.map((u) => round(u.latencyMs.p99, 3)),
              backgroundColor: '#3182bd',
              whiskers: up.map((u) => ((u.runs ?? 1) > 1 ? whisker(u.spread?.p99Ms ?? null) : null)),
            },
          ],
        },
        options: axes('transport and method', 'round trip (ms)'),
      },
    });
  }
  if (tls) charts.push(...tlsCharts(load, tls));
  return charts;
}

/** Light for plain, dark for TLS: one pair per figure. */
const PLAIN_TLS = { heap: ['#9ecae1', '#3182bd'], rss: ['#fdae6b', '#e6550d'] } as const;

/**
 * Plain against TLS, per transport, at the client count (and rate) both runs measured: the plain
 * run's plain steps beside the TLS pass's (npm run load -- --tls). What TLS costs per connection
 * (server heap and RSS: OpenSSL's buffers live outside the V8 heap) and per delivery (server CPU,
 * bytes on the wire). A transport that requires TLS (sse-h2) has a TLS bar only.
 */
export function tlsCharts(plain: LoadResults, tls: LoadResults): ChartSpec[] {
  const usable = (s: StepResult) => s.phase === 'clients' && s.status !== 'failed' && s.status !== 'incomplete';
  const plainSteps = plain.steps.filter((s) => usable(s) && !s.tls);
  const tlsSteps = tls.steps.filter((s) => usable(s) && s.tls);
  const common = tlsSteps.filter((t) => plainSteps.some((p) => p.clients === t.clients && p.rate === t.rate));
  if (common.length === 0) return [];
  const n = Math.max(...common.map((s) => s.clients));
  const rate = common.find((s) => s.clients === n)!.rate;
  const pick = (steps: StepResult[], t: Transport) => steps.find((s) => s.transport === t && s.clients === n && s.rate === rate) ?? null;
  const rows = TRANSPORT_NAMES.map((t) => ({ t, plain: pick(plainSteps, t), tls: pick(tlsSteps, t) })).filter((r) => r.plain || r.tls);
  const labels = rows.map((r) => `${LABELS[r.t]}${r.plain ? '' : ' (TLS only)'}`);

  /** A figure of a step as drawn, and the spread of the same figure over the step's runs, scaled alike. */
  interface Figure {
    (s: StepResult): number | null;
    spread: SpreadFigure;
    scale: (v: number) => number;
  }
  const figure = (get: (s: StepResult) => number | null, spread: SpreadFigure, scale = (v: number) => v): Figure =>
    Object.assign(get, { spread, scale });
  const heap = figure(
    (s) => kb(s.server.perConnection.heapBytes),
    'heapPerConnectionBytes',
    (v) => v / 1024,
  );
  const rss = figure(
    (s) => kb(s.server.perConnection.rssBytes),
    'rssPerConnectionBytes',
    (v) => v / 1024,
  );
  // A window too short to judge CPU draws no bar (server.cpuJudged); the caption names it.
  const cpu = figure((s) => (cpuJudged(s) ? round(s.server.netCpuMsPer1kDeliveries, 3) : null), 'netCpuMsPer1kDeliveries');
  const bytes = figure((s) => round(s.server.bytesPerDelivery, 1), 'bytesPerDelivery');
  const bars = (get: Figure, [light, dark]: readonly [string, string], prefix = ''): Dataset[] =>
    (['plain', 'tls'] as const).map((side) => ({
      label: `${prefix}${side === 'plain' ? 'plain' : 'TLS'}`,
      data: rows.map((r) => (r[side] ? get(r[side]) : null)),
      backgroundColor: side === 'plain' ? light : dark,
      whiskers: rows.map((r) => {
        const step = r[side];
        return step && get(step) !== null ? whisker(spreadOf(step, get.spread), get.scale) : null;
      }),
    }));
  /** "SSE +2.8 KiB, WebSocket (ws) +2.5 KiB ...": what TLS added, where both were measured. */
  const added = (get: Figure, digits: number, unit: string) =>
    rows
      .flatMap((r) => {
        const [a, b] = [r.plain && get(r.plain), r.tls && get(r.tls)];
        return typeof a === 'number' && typeof b === 'number'
          ? [`${LABELS[r.t]} ${b >= a ? '+' : ''}${(b - a).toFixed(digits)}${unit}`]
          : [];
      })
      .join(', ') || 'not comparable';

  const tlsOnly = rows.filter((r) => !r.plain).map((r) => LABELS[r.t]);
  const notOk = rows
    .flatMap((r) => [r.plain, r.tls])
    .filter((s): s is StepResult => s !== null && s.status !== 'ok')
    .map((s) => `${LABELS[s.transport]}${s.tls ? ' over TLS' : ''} ${s.status}`);
  const at =
    `At ${n} clients and ${rate} quotes/s (plain: the load run of ${plain.meta.date.slice(0, 10)}; ` +
    `TLS: the TLS pass of ${tls.meta.date.slice(0, 10)}).`;
  const shown = rows.flatMap((r) => [r.plain, r.tls]).filter((s): s is StepResult => s !== null);
  const notes = [
    tlsOnly.length ? ` ${tlsOnly.join(', ')} has no plain mode: browsers speak HTTP/2 only over TLS.` : '',
    notOk.length ? ` Steps not ok (their memory, CPU and byte figures still stand): ${notOk.join(', ')}.` : '',
    ` ${runsNote(shown)}`,
  ].join('');
  const chart = (id: string, title: string, caption: string, datasets: Dataset[], y: string): ChartSpec => ({
    id,
    title,
    caption: `${at} ${caption}${notes}`,
    claims: ['ws-heavier-than-sse'],
    config: { type: 'bar', data: { labels, datasets }, options: axes('transport', y) },
  });
  return [
    chart(
      'tls-memory-per-connection',
      'Server memory per connection, plain and over TLS',
      'Heap and RSS after a forced GC, the loaded server minus its one-client twin, per connection. What TLS added per ' +
        `connection, heap: ${added(heap, 1, ' KiB')}; RSS: ${added(rss, 1, ' KiB')}. The TLS state (OpenSSL's buffers) ` +
        'lives outside the V8 heap, so most of it shows in RSS only.',
      [...bars(heap, PLAIN_TLS.heap, 'heap, '), ...bars(rss, PLAIN_TLS.rss, 'RSS, ')],
      'per connection (KiB)',
    ),
    chart(
      'tls-cpu-per-1k-deliveries',
      'Server CPU per 1,000 deliveries, plain and over TLS',
      "Server CPU over the window minus its one-client twin's, per 1,000 quotes delivered beyond the twin's. What TLS " +
        `added: ${added(cpu, 2, ' ms')}: each quote's own TLS record, its encryption and Node's TLS write path.` +
        cpuLeftOut(shown, (s) => `${LABELS[s.transport]}${s.tls ? ' over TLS' : ''}`, tls.options.cpuMinDeliveries),
      bars(cpu, PLAIN_TLS.heap),
      'CPU ms per 1,000 deliveries',
    ),
    chart(
      'tls-bytes-per-delivery',
      'Bytes on the wire per delivered quote, plain and over TLS',
      `Server socket bytes written per quote delivered. What TLS added: ${added(bytes, 1, ' B')}: one TLS record per quote, ` +
        "whose 5-byte header, 1-byte content type and 16-byte tag make 22 B in TLS 1.3 (the quote's JSON differs by a byte " +
        'or so between runs, in its time stamp).',
      bars(bytes, PLAIN_TLS.heap),
      'bytes per delivery',
    ),
  ];
}
