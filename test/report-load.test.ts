/**
 * The report's load parts from repeated runs (results schema 3): charts draw each step's median with a min–max whisker
 * and say how many runs; CPU charts leave out a window too short to judge; the ramp brackets a found limit and marks a
 * lower bound; "why is SSE's p99 higher?" is computed from the largest N; the runner's checks, cores and pinning are
 * listed; upstream round trips show their spread; the TLS, proxy and cluster charts still draw from summaries. An older
 * file (schema 2: single runs, no checks or pinning) still builds. Built from test/fixtures (example-load.json
 * is a tiny run with 2 runs per step), some steps changed here to reach the cases the fixture lacks.
 */
import { describe, expect, it } from 'vitest';
import { fixture, reportInputs } from './helpers.ts';
import { TRANSPORTS } from '../servers/transports.ts';
import type { ClusterLoadResults, LoadResults, Spread, SpreadFigure, StepResult } from '../scripts/load/types.ts';
import type { Block, Section } from '../scripts/report/blocks.ts';
import type { ChartSpec, Dataset } from '../scripts/report/charts.ts';
import type { ReportInputs } from '../scripts/report/inputs.ts';
import { renderMarkdown } from '../scripts/report/markdown.ts';
import { buildModel, type ReportModel } from '../scripts/report/model.ts';

function inputs(load: LoadResults, extra: Partial<ReportInputs> = {}): ReportInputs {
  return reportInputs({ load, ...extra });
}

const chart = (model: ReportModel, id: string): ChartSpec => {
  const found = model.charts.find((c) => c.id === id);
  expect(found, id).toBeDefined();
  return found!;
};
const section = (model: ReportModel, id: string): Section => {
  const found = model.sections.find((s) => s.id === id);
  expect(found, id).toBeDefined();
  return found!;
};
/** A section's blocks, with those collapsed into its details in order after the visible ones. */
const blocksOf = (s: Section): Block[] => s.blocks.flatMap((b) => (b.kind === 'details' ? b.blocks : [b]));
const tables = (s: Section) => blocksOf(s).filter((b): b is Extract<Block, { kind: 'table' }> => b.kind === 'table');
const text = (s: Section) => JSON.stringify(s.blocks);
const dataset = (spec: ChartSpec, label: string): Dataset => spec.config.data.datasets.find((d) => d.label === label)!;

/** A schema-2 step as a summary of 3 runs whose figures spread ±10% around the median. */
function asRepeated(step: StepResult): StepResult {
  const value: Record<SpreadFigure, number | null> = {
    deliveriesPerSecond: step.delivery.deliveriesPerSecond,
    p50Ms: step.delivery.latencyMs.p50,
    p99Ms: step.delivery.latencyMs.p99,
    heapPerConnectionBytes: step.server.perConnection.heapBytes,
    rssPerConnectionBytes: step.server.perConnection.rssBytes,
    cpuMsPer1kDeliveries: step.server.cpuMsPer1kDeliveries,
    netCpuMsPer1kDeliveries: step.server.netCpuMsPer1kDeliveries,
    serverCores: step.server.cores,
    bytesPerDelivery: step.server.bytesPerDelivery,
    generatorUsPerDelivery: step.generator.usPerDelivery,
    generatorCores: step.generator.maxCores,
  };
  const spread = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      v === null ? null : ({ values: [v * 0.9, v, v * 1.1], median: v, min: v * 0.9, max: v * 1.1 } as Spread),
    ]),
  ) as Record<SpreadFigure, Spread | null>;
  const ids = [1, 2, 3].map((k) => `${step.id}#${k}`);
  return {
    ...step,
    run: null,
    repeats: { runs: 3, ids, statuses: [step.status, step.status, step.status], spread },
    server: { ...step.server, cpuJudged: true },
  };
}

/** The same run as an older file wrote it (schema 2): single runs, no runs, checks, pinning, cpuJudged or ramp bracket. */
function asSchema2(load: LoadResults): LoadResults {
  const older = structuredClone(load) as unknown as Record<string, unknown> & LoadResults;
  for (const key of ['runs', 'checks', 'pinning']) delete older[key];
  delete (older.options as Partial<LoadResults['options']>).repeats;
  for (const step of older.steps) {
    delete (step as Partial<StepResult>).repeats;
    delete (step as Partial<StepResult>).run;
    delete (step.server as Partial<StepResult['server']>).cpuJudged;
  }
  for (const ramp of older.ramp) for (const key of ['failedRate', 'deliveriesPerServerCore'] as const) delete ramp[key];
  for (const up of older.upstream) for (const key of ['runs', 'spread'] as const) delete up[key];
  return { ...older, schema: 2 } as unknown as LoadResults;
}

describe('report: load figures from repeated runs', () => {
  const repeated = fixture<LoadResults>('example-load.json');
  const model = buildModel(inputs(repeated));

  it('draws every sweep chart with a whisker per repeated point and says how many runs', () => {
    const latency = chart(model, 'latency-vs-clients');
    const sse = repeated.steps.find((s) => s.phase === 'clients' && s.transport === 'sse')!;
    const spread = sse.repeats!.spread.p99Ms!;
    expect(dataset(latency, 'SSE p99').whiskers).toEqual([[Number(spread.min.toFixed(3)), Number(spread.max.toFixed(3))]]);
    expect(latency.caption).toContain('median of 2 runs');
    for (const id of ['memory-per-connection', 'cpu-per-1k-deliveries', 'bytes-per-delivery']) {
      const spec = chart(model, id);
      expect(spec.caption, id).toContain('median of 2 runs');
      expect(
        spec.config.data.datasets.some((d) => d.whiskers?.some((w) => w !== null)),
        id,
      ).toBe(true);
    }
  });

  it('leaves a CPU point out when its window was too short to judge, and says which', () => {
    const changed = structuredClone(repeated);
    const ws = changed.steps.find((s) => s.phase === 'clients' && s.transport === 'ws')!;
    ws.server.cpuJudged = false;
    const cpu = chart(buildModel(inputs(changed)), 'cpu-per-1k-deliveries');
    expect(dataset(cpu, 'WebSocket (ws)').data).toEqual([null]);
    expect(dataset(cpu, 'WebSocket (ws)').whiskers).toEqual([null]);
    expect(dataset(cpu, 'SSE').data[0]).not.toBeNull();
    expect(cpu.caption).toMatch(/Left out: WebSocket \(ws\) at 20 clients, 10 quotes\/s: the window held too few deliveries/);
    // The ramp's capacity per core and CPU per delivery at that step go with it.
    changed.steps.find((s) => s.phase === 'ramp' && s.transport === 'ws')!.server.cpuJudged = false;
    const perCore = chart(buildModel(inputs(changed)), 'ramp-per-server-core');
    const i = changed.ramp.findIndex((r) => r.transport === 'ws');
    expect(perCore.config.data.datasets.map((d) => d.data[i])).toEqual([null, null]);
    expect(perCore.caption).toContain('Left out: WebSocket (ws) at 20 clients, 50 quotes/s');
  });

  it('brackets a found ramp limit up to the failed rate and marks a lower bound as "≥"', () => {
    const changed = structuredClone(repeated);
    const sse = changed.ramp.find((r) => r.transport === 'sse')!;
    Object.assign(sse, { limitFound: true, failedRate: 100, stoppedBy: 'slow at 100 quotes/s' });
    const m = buildModel(inputs(changed));
    const ramp = chart(m, 'ramp-highest-deliveries');
    const bars = ramp.config.data.datasets[0]!;
    const i = changed.ramp.indexOf(sse);
    expect(bars.whiskers![i]).toEqual([sse.highestDeliveriesPerSecond, 100 * sse.clients!]);
    expect(bars.marks![i]).toBeNull();
    expect((bars.backgroundColor as string[])[i]).toMatch(/^#[0-9a-f]{6}$/);
    const ws = changed.ramp.findIndex((r) => r.transport === 'ws');
    expect(bars.marks![ws]).toMatch(/^≥ /);
    expect((bars.backgroundColor as string[])[ws]).toMatch(/^#[0-9a-f]{6}33$/);
    expect(ramp.config.data.labels[ws]).toContain('(lower bound)');
    expect(ramp.caption).toContain('SSE: limit between 50 and 100 quotes/s');
    const perCore = chart(m, 'ramp-per-server-core');
    expect(perCore.config.data.datasets[0]!.data).toEqual(changed.ramp.map((r) => Math.round(r.deliveriesPerServerCore!)));
    expect(perCore.config.data.datasets[1]!.yAxisID).toBe('cpu');
    const table = tables(section(m, 'load-figures')).find((t) => t.head.includes('deliveries/s per server core'))!;
    expect(table.rows[i]![3]).not.toMatch(/^≥/);
    expect(table.rows[ws]![3]).toMatch(/^≥ .*lower bound/);
  });

  it('explains SSE p99 at the largest N from server fan-out and generator time per quote', () => {
    const p99 = section(model, 'sse-p99');
    expect(p99.title).toMatch(/SSE's p99 at 20 clients higher\?$/);
    const [table] = tables(p99);
    expect(table!.rows).toHaveLength(repeated.options.transports.length);
    expect(table!.rows[0]![0]).toBe(TRANSPORTS.sse.label);
    const sse = repeated.steps.find((s) => s.phase === 'clients' && s.transport === 'sse')!;
    const serverMs = (sse.server.cpuMsPer1kDeliveries! * 20) / 1000;
    // Divided among the workers that read the clients: the probe, with its few, is not one of them.
    const generatorMs = (sse.generator.usPerDelivery! * 20) / 1000 / (sse.generator.workers - 1);
    expect(String(table!.rows[0]![2])).toMatch(new RegExp(`^${serverMs.toFixed(2)} \\(`));
    expect(String(table!.rows[0]![5])).toMatch(new RegExp(`^${generatorMs.toFixed(2)} \\(`));
    expect(table!.rows[0]![6]).toBe(serverMs >= generatorMs ? 'server' : 'generator');
    const sentences = blocksOf(p99).filter((b) => b.kind === 'p');
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    expect(text(p99)).toContain("SSE's p99 (");
    expect(text(p99)).toContain(`The latencies are the probe's: ${sse.generator.probeClients} clients read as data arrives`);
  });

  it('lists the checks, the cores and pinning and the runs in the method, and upstream spread', () => {
    const method = text(section(model, 'method'));
    for (const check of repeated.checks) expect(method).toContain(check.stepId);
    expect(method).toContain(`${repeated.checks.length} flagged`);
    expect(method).toContain(`Cores and pinning: ${repeated.pinning.note}`);
    expect(method).toContain('each step ran 2 times');
    const upstream = tables(section(model, 'load-figures')).find((t) => t.head.includes('round trips/s'))!;
    const sse = repeated.upstream.find((u) => u.transport === 'sse')!;
    expect(upstream.rows[0]![4]).toBe(
      `${sse.requestsPerSecond} (${sse.spread.requestsPerSecond!.min}–${sse.spread.requestsPerSecond!.max})`,
    );
    expect(chart(model, 'upstream-round-trip').config.data.datasets[1]!.whiskers![0]).toEqual([
      sse.spread.p99Ms!.min,
      sse.spread.p99Ms!.max,
    ]);
  });

  it('carries the same load content in the Markdown', () => {
    const markdown = renderMarkdown(model, repeated, '');
    expect(markdown).toMatch(/## (Why is|Is) SSE's p99 at 20 clients higher\?/);
    expect(markdown).toMatch(/\| SSE \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \(/);
    expect(markdown).toContain('## Method and limitations');
    for (const check of repeated.checks) expect(markdown).toContain(check.stepId);
    expect(markdown).toContain('**Figure: Delivery latency vs concurrent clients.**');
    expect(markdown).toMatch(/\| 20 \| [\d.]+ \([\d.]+–[\d.]+\) \|/);
    const bound = repeated.ramp.find((r) => !r.limitFound && r.highestDeliveriesPerSecond !== null)!;
    expect(markdown).toContain(`≥ ${bound.highestDeliveriesPerSecond!.toLocaleString('en-US')}`);
  });

  it('builds from a schema-2 file as single runs, with no whiskers and no checks', () => {
    const older = asSchema2(fixture<LoadResults>('example-load.json'));
    const m = buildModel(inputs(older));
    for (const c of m.charts)
      for (const d of c.config.data.datasets) expect(d.whiskers?.some((w) => w !== null) ?? false, c.id).toBe(false);
    expect(chart(m, 'latency-vs-clients').caption).toContain('One run each, not repeated.');
    const method = text(section(m, 'method'));
    expect(method).toContain('one run, not repeated');
    expect(method).toContain('not recorded (results from before pinning)');
    expect(method).toContain('Not checked (results from before the checks): the load run');
    expect(section(m, 'sse-p99').title).toContain('at 20 clients');
    expect(renderMarkdown(m, older, '')).toContain('## Load figures');
  });

  it('draws the TLS, proxy and cluster load charts from schema-3 summaries', () => {
    const tls = fixture<LoadResults>('example-load-tls.json');
    tls.steps = tls.steps.map(asRepeated);
    const proxy = fixture<LoadResults>('example-load-proxy.json');
    proxy.steps = proxy.steps.map(asRepeated);
    const cluster = fixture<ClusterLoadResults>('example-load-cluster.json');
    cluster.steps = cluster.steps.map(asRepeated);
    const m = buildModel(inputs(repeated, { loadTls: tls, loadProxy: proxy, loadCluster: cluster }));
    const tlsCpu = chart(m, 'tls-cpu-per-1k-deliveries');
    expect(dataset(tlsCpu, 'TLS').whiskers!.some((w) => w !== null)).toBe(true);
    expect(tlsCpu.caption).toContain('median of 2–3 runs');
    const proxyLatency = chart(m, 'proxy-load-latency');
    expect(proxyLatency.caption).toContain('each bar the median of 3 runs');
    expect(dataset(proxyLatency, 'p99 through nginx').whiskers!.some((w) => w !== null)).toBe(true);
    expect(chart(m, 'cluster-cpu-per-delivery').caption).toContain('medians of 3 runs');
    const scaling = JSON.stringify(m.sections.find((s) => s.id === 'scaling-out') ?? m.sections);
    expect(scaling).toContain('medians of 3 runs');
  });
});
