/**
 * The rate ramp (results.ramp): the highest deliveries/s each transport sustained at the ramp's N with the bracket its
 * limit lies in (up to the rate that failed), and beside it the same capacity per server core and the server's CPU per
 * delivery. A ramp that ended before the server did (the generator, the top of the ramp, a failed step) gives only a
 * lower bound: an open bar marked "≥", never drawn like a measured limit.
 */
import { TRANSPORTS } from '../../servers/transports.ts';
import type { LoadResults, RampSummary, StepResult } from '../load/types.ts';
import { type Block, type Cell, formatValue } from './blocks.ts';
import { axes, round, runLabel, type ChartSpec, type Dataset } from './charts.ts';
import { cpuJudged, cpuLeftOut, runsCount, runsNote, spreadOf, whisker, withRange } from './spread.ts';

const count = (value: number) => Math.round(value).toLocaleString('en-US');

/** The ramp's highest passing step, whose figures the summary quotes. */
export function highestStep(load: LoadResults, ramp: RampSummary): StepResult | undefined {
  return ramp.highestRate === null ? undefined : load.steps.find((s) => ramp.steps.includes(s.id) && s.rate === ramp.highestRate);
}

/** The deliveries/s the first failing rate asked for (every client, every quote): the top of a found limit's bracket. */
function failedDeliveries(r: RampSummary): number | null {
  const failed = r.failedRate ?? null;
  return r.limitFound && failed !== null && r.clients !== null ? failed * r.clients : null;
}

/** A measured limit solid, a lower bound open (a tint of the transport's colour inside its outline). */
const fill = (r: RampSummary) => (r.limitFound ? TRANSPORTS[r.transport].color : `${TRANSPORTS[r.transport].color}33`);

/** Server CPU per delivery at the highest passing step, µs (ms per 1,000), gross like the capacity per core; null if not judged. */
const cpuAt = (step: StepResult | undefined) => (step && cpuJudged(step) ? round(step.server.cpuMsPer1kDeliveries) : null);

/** Where each ramp ended, in words: "SSE: limit between 800 and 1,600 quotes/s (p99 above ...)". */
function endings(load: LoadResults, ramps: RampSummary[]): string {
  return ramps
    .map((r) => {
      const label = runLabel(load, r.transport);
      if (r.highestRate === null) return `${label}: no step passed (${r.stoppedBy})`;
      const failed = r.failedRate ?? null;
      return r.limitFound && failed !== null
        ? `${label}: limit between ${count(r.highestRate)} and ${count(failed)} quotes/s (${r.stoppedBy})`
        : `${label}: ≥ ${count(r.highestRate)} quotes/s, a lower bound (${r.stoppedBy})`;
    })
    .join('; ');
}

function highestChart(load: LoadResults, ramps: RampSummary[]): ChartSpec {
  const found = ramps.filter((r) => r.ratioToTcp !== null);
  const steps = ramps.flatMap((r) => highestStep(load, r) ?? []);
  const dataset: Dataset = {
    label: 'highest sustained deliveries/s',
    data: ramps.map((r) => r.highestDeliveriesPerSecond),
    backgroundColor: ramps.map(fill),
    borderColor: ramps.map((r) => TRANSPORTS[r.transport].color),
    borderWidth: 2,
    whiskers: ramps.map((r) => {
      const top = failedDeliveries(r);
      return top !== null && r.highestDeliveriesPerSecond !== null ? [r.highestDeliveriesPerSecond, top] : null;
    }),
    marks: ramps.map((r) => (r.highestDeliveriesPerSecond !== null && !r.limitFound ? `≥ ${count(r.highestDeliveriesPerSecond)}` : null)),
  };
  const options = axes('transport', 'deliveries per second');
  return {
    id: 'ramp-highest-deliveries',
    title: 'Highest sustained deliveries/s in the rate ramp',
    caption:
      `The ramp at ${ramps[0]!.clients ?? '?'} clients raises the feed rate (doubling, then bisecting) until p99 passes ` +
      `${load.options.latencyLimitMs} ms, a quote is lost, the server falls behind, or the load generator reaches a full core. ` +
      'A solid bar is a server limit: the transport sustained that many deliveries/s, and its whisker reaches the deliveries/s ' +
      'the first failing rate asked for, so the limit lies in between. An open bar marked ≥ is a lower bound: the ramp ended ' +
      `before the server did. ${endings(load, ramps)}. Ratio to the TCP floor where both limits were found (a transport ` +
      'over TLS against the floor over TLS): ' +
      `${found.map((r) => `${runLabel(load, r.transport)} ${r.ratioToTcp}`).join(', ') || 'none'}. ` +
      'These are limits for clients that read every few quotes: on loopback a write that wakes a waiting reader costs ' +
      'the writing server too, so the limits move with how often the readers wake; compare transports within one run. ' +
      (runsCount(steps) ? `Each highest step's figures are the median of ${runsCount(steps)} runs.` : 'One run each, not repeated.'),
    claims: ['ws-heavier-than-sse'],
    config: {
      type: 'bar',
      data: { labels: ramps.map((r) => `${runLabel(load, r.transport)}${r.limitFound ? '' : ' (lower bound)'}`), datasets: [dataset] },
      options: { ...options, plugins: { legend: { display: false } } },
    },
  };
}

function perCoreChart(load: LoadResults, ramps: RampSummary[]): ChartSpec {
  const steps = ramps.map((r) => highestStep(load, r));
  const present = steps.filter((s): s is StepResult => s !== undefined);
  const options = axes('transport', 'deliveries per second per server core');
  const scales = options.scales as Record<string, unknown>;
  scales.cpu = {
    position: 'right',
    beginAtZero: true,
    title: { display: true, text: 'server CPU µs per delivery' },
    grid: { drawOnChartArea: false },
  };
  const cores = ramps.map((r) => `${runLabel(load, r.transport)} ${formatValue(r.serverCoresAtHighest)}`).join(', ');
  return {
    id: 'ramp-per-server-core',
    title: 'Deliveries per second per server core, and server CPU per delivery',
    caption:
      'Bars: the highest sustained deliveries/s divided by the server CPU, in cores, at that step: what one server core ' +
      'delivers, a unit that carries over to other machines. Diamonds (right axis): server CPU per delivery at the same step ' +
      `(ms per 1,000 deliveries = µs per delivery, the twin not taken out, as in the bars). Server cores there: ${cores}; a ` +
      'figure from a server far below one core extrapolates, and an open bar is from a ramp that found no server limit. ' +
      `${runsNote(present)}${cpuLeftOut(present, (s) => runLabel(load, s.transport), load.options.cpuMinDeliveries)}`,
    claims: ['ws-heavier-than-sse'],
    config: {
      type: 'bar',
      data: {
        labels: ramps.map((r) => `${runLabel(load, r.transport)}${r.limitFound ? '' : ' (lower bound)'}`),
        datasets: [
          {
            label: 'deliveries/s per server core',
            // Capacity per core is a CPU figure too: left out with the step's CPU when its window was too short to judge.
            data: ramps.map((r, i) =>
              r.deliveriesPerServerCore === null || cpuAt(steps[i]) === null ? null : Math.round(r.deliveriesPerServerCore),
            ),
            backgroundColor: ramps.map(fill),
            borderColor: ramps.map((r) => TRANSPORTS[r.transport].color),
            borderWidth: 2,
          },
          {
            type: 'line',
            label: 'server CPU µs per delivery (right axis)',
            yAxisID: 'cpu',
            data: steps.map(cpuAt),
            showLine: false,
            pointStyle: 'rectRot',
            pointRadius: 7,
            borderColor: '#1d2330',
            backgroundColor: '#1d2330',
            whiskers: steps.map((s) => (cpuAt(s) === null ? null : whisker(spreadOf(s, 'cpuMsPer1kDeliveries')))),
          },
        ],
      },
      options,
    },
  };
}

/** The ramp's charts: highest deliveries/s with its bracket, and (schema 3) deliveries per server core beside CPU per delivery. */
export function rampCharts(load: LoadResults): ChartSpec[] {
  const ramps = load.ramp;
  if (!ramps.some((r) => r.highestDeliveriesPerSecond !== null)) return [];
  const charts = [highestChart(load, ramps)];
  if (ramps.some((r) => (r.deliveriesPerServerCore ?? null) !== null)) charts.push(perCoreChart(load, ramps));
  return charts;
}

/** Every ramp as a table row: the same figures as the charts, with the spread of the highest step's runs. */
export function rampTable(load: LoadResults): Block | null {
  if (load.ramp.length === 0) return null;
  const rows: Cell[][] = load.ramp.map((r) => {
    const step = highestStep(load, r);
    const dps = r.highestDeliveriesPerSecond;
    const failed = r.failedRate ?? null;
    const perCore = r.deliveriesPerServerCore ?? null;
    return [
      runLabel(load, r.transport),
      r.clients,
      `${r.highestRate ?? '–'} / ${failed ?? '–'}`,
      dps === null
        ? null
        : `${r.limitFound ? '' : '≥ '}${withRange(dps, spreadOf(step, 'deliveriesPerSecond'), 0)}${r.limitFound ? '' : ', a lower bound'}`,
      step && !cpuJudged(step) ? 'not judged' : perCore === null ? null : count(perCore),
      formatValue(r.serverCoresAtHighest),
      step && !cpuJudged(step) ? 'not judged' : withRange(step?.server.cpuMsPer1kDeliveries, spreadOf(step, 'cpuMsPer1kDeliveries')),
      r.ratioToTcp,
      r.stoppedBy,
    ];
  });
  return {
    kind: 'table',
    caption:
      `The rate ramp at ${load.ramp[0]!.clients ?? '?'} clients: the limit lies between the highest passing and the first ` +
      'failing rate when the ramp found one; a "≥" figure is a lower bound. In brackets: min–max over the runs of the highest step. ' +
      'The ratio to the TCP floor compares a transport over TLS with the floor over TLS.',
    head: [
      'transport',
      'clients',
      'rate passed / failed (quotes/s)',
      'highest deliveries/s',
      'deliveries/s per server core',
      'server cores there',
      'server CPU µs per delivery',
      'ratio to TCP floor',
      'stopped by',
    ],
    rows,
  };
}
