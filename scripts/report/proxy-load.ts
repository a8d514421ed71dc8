/**
 * "Load through nginx": the load runner's --proxy run (results/load-proxy.json). Each step of a
 * transport nginx can front was measured directly and then through nginx, back to back in one
 * session; this block sets the two side by side: the delivery latency nginx added (p50, p99), and
 * what nginx itself held per client (two connections at nginx) and spent per delivery beside the server's own figures.
 * The transports nginx cannot front (the TCP floor, SSE over HTTP/2) ran directly only and are shown
 * as the reference. Figures only; each step's figures are the medians of its runs, drawn with their min–max.
 */
import type { LoadResults, StepResult } from '../load/types.ts';
import { TRANSPORTS } from '../../servers/transports.ts';
import type { Block, Cell } from './blocks.ts';
import { axes, type ChartSpec, type Dataset, LABELS } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { cpuJudged, runsCount, spreadOf, whisker } from './spread.ts';

const ms = (value: number | null | undefined, digits = 2) => (value === null || value === undefined ? null : Number(value.toFixed(digits)));
const kib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? null : Number((bytes / 1024).toFixed(1)));
const signed = (value: number | null, unit: string) => (value === null ? 'n/a' : `${value >= 0 ? '+' : ''}${value.toFixed(2)}${unit}`);
const words = (value: number | null, unit: string, digits = 1) => (value === null ? 'n/a' : `${value.toFixed(digits)}${unit}`);

/** Light for direct, dark for through nginx; p50 blue, p99 orange. */
const COLORS = { p50: ['#9ecae1', '#3182bd'], p99: ['#fdae6b', '#e6550d'] } as const;

interface Pair {
  direct: StepResult;
  proxied: StepResult;
}

/** Client-sweep pairs at the largest N that has any, and the floor's direct step (the reference) at that N. */
function pairsAtLargestN(run: LoadResults): { n: number; rate: number; pairs: Pair[]; reference: StepResult[] } | null {
  const byId = new Map(run.steps.map((s) => [s.id, s]));
  const all = run.steps.flatMap((proxied) => {
    const direct = proxied.proxy?.directId ? byId.get(proxied.proxy.directId) : undefined;
    return proxied.phase === 'clients' && direct && proxied.status !== 'failed' && direct.status !== 'failed' ? [{ direct, proxied }] : [];
  });
  if (all.length === 0) return null;
  const n = Math.max(...all.map((p) => p.proxied.clients));
  const pairs = all.filter((p) => p.proxied.clients === n);
  const rate = pairs[0]!.proxied.rate;
  // The floor, measured directly only, is the reference beside the pairs.
  const reference = run.steps.filter(
    (s) => s.phase === 'clients' && s.clients === n && s.rate === rate && TRANSPORTS[s.transport].floor && s.status !== 'failed',
  );
  return { n, rate, pairs, reference };
}

const label = (s: StepResult) => `${LABELS[s.transport]}${s.tls ? ' (TLS)' : ''}`;

function latencyChart(run: LoadResults, at: NonNullable<ReturnType<typeof pairsAtLargestN>>): ChartSpec {
  const rows = [
    ...at.pairs.map((p) => ({ label: label(p.direct), ...p })),
    ...at.reference.map((s) => ({ label: `${label(s)}, direct only`, direct: s, proxied: null })),
  ];
  const get = (s: StepResult | null, p: 'p50' | 'p99') => (s ? ms(s.delivery.latencyMs[p]) : null);
  const runs = runsCount(rows.flatMap((r) => (r.proxied ? [r.direct, r.proxied] : [r.direct])));
  const range = (s: StepResult | null, p: 'p50' | 'p99') => whisker(spreadOf(s, p === 'p50' ? 'p50Ms' : 'p99Ms'));
  const bars = (p: 'p50' | 'p99', side: 'direct' | 'proxied', label: string, color: string): Dataset => ({
    label,
    data: rows.map((r) => get(r[side], p)),
    backgroundColor: color,
    whiskers: rows.map((r) => range(r[side], p)),
  });
  const added = at.pairs
    .map(({ proxied }) => {
      const { p50, p99 } = proxied.proxy!.addedLatencyMs;
      return `${LABELS[proxied.transport]} ${signed(p50, ' ms')} / ${signed(p99, ' ms')}`;
    })
    .join(', ');
  const floor = at.reference[0];
  const fasterTail = at.pairs.filter((p) => (p.proxied.proxy!.addedLatencyMs.p99 ?? 0) < 0).map((p) => LABELS[p.proxied.transport]);
  const notOk = at.pairs
    .flatMap((p) => [p.direct, p.proxied])
    .filter((s) => s.status !== 'ok')
    .map((s) => `${s.id} ${s.status}`);
  return {
    id: 'proxy-load-latency',
    title: `Delivery latency directly and through nginx (${run.proxy!.profile} profile)`,
    caption:
      `At ${at.n} clients and ${at.rate} quotes/s, each transport measured directly and then through nginx in the same session ` +
      `(${run.meta.date.slice(0, 10)}), ` +
      `${runs ? `each bar the median of ${runs} runs, its whisker their min–max` : 'one run each, not repeated'}. ` +
      `What nginx added, p50 / p99: ${added}.` +
      (floor
        ? ` The ${LABELS[floor.transport]} ran directly only, the reference: ` +
          `p50 ${words(get(floor, 'p50'), ' ms', 2)}, p99 ${words(get(floor, 'p99'), ' ms', 2)}.`
        : '') +
      (fasterTail.length
        ? ` ${fasterTail.join(', ')}: the direct step's p99 was the higher one in this run; a tail carries the ` +
          'scheduling delays of a shared machine, so the p50 difference is the steadier figure of what nginx adds.'
        : '') +
      (notOk.length ? ` Steps not ok: ${notOk.join(', ')}.` : ''),
    claims: [],
    config: {
      type: 'bar',
      data: {
        labels: rows.map((r) => r.label),
        datasets: [
          bars('p50', 'direct', 'p50 direct', COLORS.p50[0]),
          bars('p50', 'proxied', 'p50 through nginx', COLORS.p50[1]),
          bars('p99', 'direct', 'p99 direct', COLORS.p99[0]),
          bars('p99', 'proxied', 'p99 through nginx', COLORS.p99[1]),
        ],
      },
      options: axes('transport', 'delivery latency (ms)'),
    },
  };
}

function costTable(at: NonNullable<ReturnType<typeof pairsAtLargestN>>): Block {
  const rows: Cell[][] = at.pairs.map(({ direct, proxied }) => {
    const p = proxied.proxy!;
    return [
      label(proxied),
      `${ms(direct.delivery.latencyMs.p50)} / ${ms(proxied.delivery.latencyMs.p50)}`,
      `${ms(direct.delivery.latencyMs.p99)} / ${ms(proxied.delivery.latencyMs.p99)}`,
      kib(p.memory.perClientBytes),
      kib(proxied.server.perConnection.heapBytes),
      kib(proxied.server.perConnection.rssBytes),
      // Both CPU figures are per delivery: a window too short to judge the server's is too short for nginx's.
      cpuJudged(proxied) ? p.cpu.usPerDelivery : 'not judged',
      cpuJudged(proxied) ? proxied.server.netCpuMsPer1kDeliveries : 'not judged', // ms per 1,000 deliveries = µs per delivery
      p.cpu.ticks === null ? null : `${p.cpu.ticks} (${p.cpu.cpuMs} ms)`,
      `${direct.status} / ${proxied.status}`,
    ];
  });
  const first = at.pairs[0]!.proxied.proxy!;
  const runs = runsCount(at.pairs.map((p) => p.proxied));
  const perClient = at.pairs
    .map((p) => `${LABELS[p.proxied.transport]} ${words(kib(p.proxied.proxy!.memory.perClientBytes), ' KiB')}`)
    .join(', ');
  const perDelivery = at.pairs
    .map(
      (p) =>
        `${LABELS[p.proxied.transport]} ${words(p.proxied.proxy!.cpu.usPerDelivery, ' µs')} in nginx against ` +
        `${words(p.proxied.server.netCpuMsPer1kDeliveries, ' µs')} in the server`,
    )
    .join('; ');
  return {
    kind: 'table',
    caption:
      `nginx beside the server, through nginx at ${at.n} clients (${runs ? `medians of ${runs} runs` : 'one run each, not repeated'}). ` +
      'nginx memory per client, its ' +
      `workers' RSS with the clients connected minus before they connected, per client, not per connection: each client is ` +
      `two connections at nginx, its own and nginx's to the server: ${perClient}. CPU per delivery: ${perDelivery}. ` +
      'nginx CPU is utime + stime of its master and workers over the window, counted in clock ticks of ' +
      `${(1000 / first.cpu.clockTicksPerSecond).toFixed(0)} ms; ` +
      "the server's is its net CPU (its one-client twin's taken out) per quote delivered.",
    head: [
      'transport',
      'p50 ms direct / nginx',
      'p99 ms direct / nginx',
      'nginx KiB per client (two connections)',
      'server heap KiB per connection',
      'server RSS KiB per connection',
      'nginx µs CPU per delivery',
      'server µs CPU per delivery (net)',
      'nginx CPU ticks (ms)',
      'status direct / nginx',
    ],
    rows,
  };
}

/** The chart and blocks of the --proxy load run; empty charts and a pointer to the command when the run is missing. */
export function proxyLoadSection(inputs: ReportInputs): { charts: ChartSpec[]; blocks: Block[] } {
  const run = inputs.loadProxy;
  if (!run?.proxy)
    return {
      charts: [],
      blocks: [{ kind: 'p', text: 'No load run through nginx in these results (`npm run load -- --quick --proxy tuned`).' }],
    };
  const at = pairsAtLargestN(run);
  const directOnly = run.proxy.directOnly.map((d) => `${LABELS[d.transport]}: ${d.reason}.`);
  const intro: Block = {
    kind: 'p',
    text:
      `The load runner with \`--proxy ${run.proxy.profile}\` (the ${run.profile} load profile, ${run.steps.length} steps in ` +
      `${run.elapsedS.toFixed(0)} s${run.aborted ? ', aborted early' : ''}): every step of a transport nginx can front ran ` +
      'directly and then through nginx, each with its own server pair, so what nginx adds is the difference within one session.',
  };
  const config: Block = {
    kind: 'details',
    summary: `The ${run.proxy.profile} profile nginx ran with`,
    blocks: [{ kind: 'code', file: `servers/proxy/profiles/${run.proxy.profile}.conf`, line: 1, code: run.proxy.config }],
  };
  const notes: Block[] = [
    ...(directOnly.length ? [{ kind: 'p', text: 'Directly only:' } as Block, { kind: 'list', items: directOnly } as Block] : []),
    ...run.skipped
      .filter((s) => s.reason.startsWith('through nginx'))
      .map((s): Block => ({ kind: 'p', text: `${LABELS[s.transport]} at ${s.clients} clients: ${s.reason}.` })),
  ];
  if (!at)
    return {
      charts: [],
      blocks: [intro, { kind: 'p', text: 'No client-sweep step measured both directly and through nginx.' }, ...notes, config],
    };
  const chart = latencyChart(run, at);
  return { charts: [chart], blocks: [intro, { kind: 'chart', id: chart.id }, costTable(at), ...notes, config] };
}
