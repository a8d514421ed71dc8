/**
 * The load runner's `--nodes` pass (results/load-cluster.json) in the "Scaling out" section: per transport, one server
 * behind nginx against a cluster of 1 node and of N, each process's CPU per delivery, and what the bus adds per
 * delivery, drawn as stacked bars of where a delivery's CPU goes.
 */
import { TRANSPORTS } from '../../servers/transports.ts';
import type { ClusterLoadResults, ClusterRow, StepResult } from '../load/types.ts';
import type { Block, Cell } from './blocks.ts';
import type { ChartSpec } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { pinningLine } from './load-section.ts';
import { cpuJudged, cpuLeftOut, runsCount, spreadOf, withRange } from './spread.ts';

/** Rows are their steps' medians: "medians of 3 runs" or "one run each, not repeated". */
const runsPhrase = (steps: StepResult[]) => (runsCount(steps) ? `medians of ${runsCount(steps)} runs` : 'one run each, not repeated');

const rowLabel = (transport: string, row: ClusterRow) =>
  `${TRANSPORTS[transport as keyof typeof TRANSPORTS].label}, ${row.kind === 'plain' ? 'one server' : `cluster of ${row.nodes}`}`;
const us = (value: number | null | undefined): Cell => (value === null || value === undefined ? null : Math.round(value * 100) / 100);

/** The step a comparison row digests (its figures the medians of that step's runs). */
const stepOf = (run: ClusterLoadResults, row: ClusterRow) => run.steps.find((s) => s.id === row.stepId);

function costChart(run: ClusterLoadResults): ChartSpec {
  const rows = run.comparisons.flatMap((c) => c.rows.map((row) => ({ transport: c.transport, row, step: stepOf(run, row) })));
  // Every figure here is CPU per delivery: a window too short to judge the server's draws no bar (server.cpuJudged).
  const judged = (step: StepResult | undefined) => !step || cpuJudged(step);
  const part = (label: string, color: string, get: (row: ClusterRow) => number | null) => ({
    label,
    data: rows.map(({ row, step }) => (judged(step) ? get(row) : null)),
    backgroundColor: color,
    stack: 'cpu',
  });
  return {
    id: 'cluster-cpu-per-delivery',
    title: 'Where a delivery’s CPU goes: one server against a cluster on Redis',
    caption:
      `Microseconds of CPU per quote delivered at ${run.comparisons[0]?.clients ?? '?'} clients, by process, every step through ` +
      `nginx (${runsPhrase(rows.flatMap((r) => r.step ?? []))}). The bus is the difference between the server alone and the ` +
      `nodes, Redis and the publisher of a 1-node cluster.` +
      cpuLeftOut(
        rows.flatMap((r) => r.step ?? []),
        (s) => rowLabel(s.transport, rows.find((r) => r.step === s)!.row),
        run.options.cpuMinDeliveries,
      ),
    claims: [],
    config: {
      type: 'bar',
      data: {
        labels: rows.map(({ transport, row }) => rowLabel(transport, row)),
        datasets: [
          part('server / nodes', '#1f77b4', (r) => r.cpu.server.usPerDelivery),
          part('Redis', '#d62728', (r) => r.cpu.redis?.usPerDelivery ?? null),
          part('publisher', '#ff7f0e', (r) => r.cpu.publisher?.usPerDelivery ?? null),
          part('nginx', '#7f7f7f', (r) => r.cpu.nginx.usPerDelivery),
        ],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { stacked: true, title: { display: true, text: 'µs CPU per delivery' } }, y: { stacked: true } },
      },
    },
  };
}

export function clusterLoadBlocks(inputs: ReportInputs): { blocks: Block[]; charts: ChartSpec[] } {
  const run = inputs.loadCluster;
  if (!run)
    return {
      blocks: [{ kind: 'p', text: 'No load run on a cluster in these results (`npm run load -- --quick --nodes 2`).' }],
      charts: [],
    };
  const chart = costChart(run);
  const table: Block = {
    kind: 'table',
    caption:
      `${run.profile} profile, ${run.steps.length} steps in ${run.elapsedS.toFixed(0)} s${run.aborted ? ', aborted early' : ''}; ` +
      `${runsPhrase(run.steps)}. ${pinningLine(run)}`,
    head: [
      'step',
      'status',
      'deliveries/s',
      'p50 / p99 ms (p99 min–max)',
      'server µs (min–max)',
      'Redis µs',
      'publisher µs',
      'nginx µs',
      'generator µs',
      'bus adds µs',
      'host cores',
    ],
    rows: run.comparisons.flatMap((c) =>
      c.rows.map((row): Cell[] => {
        const step = stepOf(run, row);
        // A window too short to judge CPU per delivery: its per-delivery figures are not shown.
        const cpu = (value: number | null | undefined): Cell => (step && !cpuJudged(step) ? 'not judged' : us(value));
        return [
          rowLabel(c.transport, row),
          row.status,
          row.deliveriesPerSecond === null ? null : Math.round(row.deliveriesPerSecond),
          `${row.latencyMs.p50 ?? '–'} / ${withRange(row.latencyMs.p99, spreadOf(step, 'p99Ms'))}`,
          step && !cpuJudged(step) ? 'not judged' : withRange(row.cpu.server.usPerDelivery, spreadOf(step, 'cpuMsPer1kDeliveries')),
          cpu(row.cpu.redis?.usPerDelivery),
          cpu(row.cpu.publisher?.usPerDelivery),
          cpu(row.cpu.nginx.usPerDelivery),
          us(row.cpu.generator.usPerDelivery),
          cpu(row.busUsPerDelivery),
          us(row.hostCores),
        ];
      }),
    ),
  };
  return {
    blocks: [
      {
        kind: 'p',
        text:
          `The load runner with \`--nodes ${run.cluster.nodes}\`: per transport, one server process behind nginx, then a cluster ` +
          `of 1 node and of ${run.cluster.nodes}, the same clients through nginx each time. ${run.note}`,
      },
      { kind: 'chart', id: chart.id },
      table,
      { kind: 'details', summary: 'Method', blocks: [{ kind: 'list', items: run.method }] },
    ],
    charts: [chart],
  };
}
