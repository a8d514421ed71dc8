/**
 * What a person watching sees: a progress bar per step on stderr (redrawn in place on a
 * terminal, one line per phase change otherwise) and summary tables of the results on stdout.
 */
import type { Transport } from '../../servers/transports.ts';
import { usesTls } from './capabilities.ts';
import { formatSpread } from './repeats.ts';
import type { StepProgress } from './step.ts';
import type { ClusterLoadResults, LoadResults, Spread, StepResult } from './types.ts';

const BAR_WIDTH = 24;

export class ProgressBar {
  #lastPhase = '';
  #drawn = false;

  constructor(readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(label: string, progress: StepProgress): void {
    const filled = Math.round(progress.fraction * BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
    const percent = String(Math.round(progress.fraction * 100)).padStart(3);
    const line = `${label.padEnd(34)} ${bar} ${percent}%  ${progress.phase}: ${progress.detail}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
      this.#drawn = true;
    } else if (progress.phase !== this.#lastPhase) {
      this.stream.write(`${line}\n`);
    }
    this.#lastPhase = progress.phase;
  }

  /** Ends the step's line with its outcome. */
  done(label: string, outcome: string): void {
    if (this.stream.isTTY && this.#drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${label.padEnd(34)} ${outcome}\n`);
    this.#drawn = false;
    this.#lastPhase = '';
  }
}

const num = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? '-' : value.toFixed(digits));
/** A difference with its sign: +11.33, -22.98. */
const signed = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const kb = (bytes: number | null) => (bytes === null ? '-' : (bytes / 1024).toFixed(2));
/** A repeated figure as median (min-max); a single run's as its value. */
const spread = (s: Spread | null | undefined, digits: number) => (s ? formatSpread(s, digits) : '-');

/** A one-line outcome of a step for the progress output. */
export function stepOutcome(step: StepResult): string {
  const d = step.delivery;
  const p = step.proxy;
  const r = step.repeats;
  const runs = r && r.runs > 1 ? `${r.runs} runs (${r.statuses.join(' ')}), medians: ` : '';
  // A step with no direct twin (a cluster's, the single server's in a --nodes run) has no added latency to show.
  const added = p?.directId ? `${signed(p.addedLatencyMs.p50)}/${signed(p.addedLatencyMs.p99)} ms p50/p99 added, ` : '';
  const nginx = p ? ` | nginx ${added}` + `${kb(p.memory.perClientBytes)} KB/client, ${num(p.cpu.usPerDelivery, 1)} us/delivery` : '';
  return (
    `${step.status.padEnd(12)} ${runs}${step.connect.connected}/${step.clients} conn, p99 ${num(d.latencyMs.p99, 1)} ms, lost ${d.lost}, ` +
    `heap/conn ${kb(step.server.perConnection.heapBytes)} KB, us/delivery server ${num(step.server.cpuMsPer1kDeliveries, 1)} ` +
    `generator ${num(step.generator.usPerDelivery, 1)} (${num(step.generator.maxCores, 2)} cores)${nginx}` +
    `${step.limitedBy ? ` | ${step.limitedBy}` : ''}${step.error ? ` | ${step.error}` : ''}`
  );
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Each proxied step beside its direct twin: the latency nginx added, and nginx's memory and CPU beside the server's. */
function proxyTable(results: LoadResults): string {
  const proxy = results.proxy!;
  const byId = new Map(results.steps.map((s) => [s.id, s]));
  const rows = results.steps.flatMap((s) => {
    if (!s.proxy) return [];
    const direct = s.proxy.directId ? byId.get(s.proxy.directId) : undefined;
    const us = (msPer1k: number | null | undefined) => num(msPer1k, 1); // ms per 1,000 deliveries = us per delivery
    return [
      [
        s.phase,
        s.transport,
        String(s.clients),
        `${num(direct?.delivery.latencyMs.p50, 2)} / ${num(s.delivery.latencyMs.p50, 2)}`,
        `${num(direct?.delivery.latencyMs.p99, 2)} / ${num(s.delivery.latencyMs.p99, 2)}`,
        num(s.proxy.addedLatencyMs.p50, 2),
        num(s.proxy.addedLatencyMs.p99, 2),
        kb(s.proxy.memory.perClientBytes),
        kb(s.server.perConnection.rssBytes),
        num(s.proxy.cpu.usPerDelivery, 1),
        String(s.proxy.cpu.ticks ?? '-'),
        us(s.server.cpuMsPer1kDeliveries),
        us(s.server.netCpuMsPer1kDeliveries),
        `${direct?.status ?? '-'} / ${s.status}`,
      ],
    ];
  });
  const body = table(
    [
      'step',
      'transport',
      'N',
      'p50 ms direct / nginx',
      'p99 ms direct / nginx',
      '+p50',
      '+p99',
      'nginx KB/client',
      'server rss KB/conn',
      'nginx us/deliv',
      'ticks',
      'server us/deliv',
      'server net',
      'status direct / nginx',
    ],
    rows,
  );
  const direct = proxy.directOnly.map((d) => `  ${d.transport}: direct only: ${d.reason}`).join('\n');
  return (
    `Through nginx (${proxy.profile}): each step directly, then through nginx, one run each (nginx memory: workers' RSS ` +
    'with the clients minus before, per client, each two connections at nginx; CPU: master + workers over the window, ' +
    `in clock ticks of /proc/<pid>/stat)\n${body}` +
    `${direct ? `\n${direct}` : ''}`
  );
}

export function summaryTable(results: LoadResults): string {
  // A TLS figure is never shown as if it were plain: `+tls` after the transport's name.
  const named = (transport: Transport, tls = usesTls(transport, results.options.tls)) => `${transport}${tls ? '+tls' : ''}`;
  const steps = table(
    [
      'step',
      'transport',
      'N',
      'rate',
      'pad',
      'conn',
      'conn p99',
      'lat p50',
      'lat p99',
      'lat max',
      'lost',
      'dup',
      'ooo',
      'heap/conn KB',
      'rss/conn KB',
      'cpu ms/1k median (min-max)',
      'net ms/1k',
      'B/msg',
      'deliv/s',
      'gen us/deliv',
      'gen cores',
      'runs',
      'status',
    ],
    results.steps.map((s) => [
      s.phase,
      `${named(s.transport, s.tls)}${s.proxy ? ` > nginx ${s.proxy.profile}` : ''}`,
      String(s.clients),
      String(s.rate),
      String(s.padding),
      String(s.connect.connected),
      num(s.connect.ms.p99, 1),
      num(s.delivery.latencyMs.p50, 2),
      num(s.delivery.latencyMs.p99, 2),
      num(s.delivery.latencyMs.max, 1),
      String(s.delivery.lost),
      String(s.delivery.duplicated),
      String(s.delivery.outOfOrder),
      kb(s.server.perConnection.heapBytes),
      kb(s.server.perConnection.rssBytes),
      s.server.cpuJudged ? spread(s.repeats?.spread.cpuMsPer1kDeliveries, 2) : `(${num(s.server.cpuMsPer1kDeliveries, 2)})`,
      s.server.cpuJudged ? num(s.server.netCpuMsPer1kDeliveries, 2) : '-',
      num(s.server.bytesPerDelivery, 1),
      num(s.delivery.deliveriesPerSecond),
      num(s.generator.usPerDelivery, 2),
      num(s.generator.maxCores, 2),
      String(s.repeats?.runs ?? 1),
      s.status,
    ]),
  );
  const ramp = table(
    [
      'transport',
      'ramp N',
      'max rate',
      'failed at',
      'max deliv/s',
      'server cores',
      'deliv/s per core',
      'x TCP',
      'max N',
      'stopped by (ramp)',
    ],
    results.ramp.map((r) => [
      named(r.transport),
      num(r.clients),
      num(r.highestRate),
      num(r.failedRate),
      `${num(r.highestDeliveriesPerSecond)}${r.limitFound ? '' : '+'}`,
      num(r.serverCoresAtHighest, 2),
      num(r.deliveriesPerServerCore),
      num(r.ratioToTcp, 2),
      num(r.highestClients),
      r.stoppedBy,
    ]),
  );
  const memory = table(
    ['transport', 'steps (N)', 'heap B/conn (slope)', 'rss B/conn (slope)', 'fixed heap KB', 'heap B/conn per step (min..max)'],
    results.memory.map((m) => [
      named(m.transport),
      m.clients.join(',') || '-',
      num(m.heapBytesPerConnection),
      num(m.rssBytesPerConnection),
      kb(m.heapFixedBytes),
      m.heapPerConnectionRange ? `${m.heapPerConnectionRange[0]}..${m.heapPerConnectionRange[1]}` : '-',
    ]),
  );
  const upstream = table(
    ['transport', 'method', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'cpu ms/1k', 'gen cores', 'status'],
    results.upstream.map((u) => [
      named(u.transport, u.tls),
      u.method,
      String(u.connections),
      num(u.requestsPerSecond),
      num(u.latencyMs.p50, 2),
      num(u.latencyMs.p99, 2),
      num(u.latencyMs.max, 1),
      String(u.errors),
      num(u.serverCpuMsPer1kRequests, 2),
      num(u.generator.cores, 2),
      u.status,
    ]),
  );
  const runs = results.options.repeats;
  const parts = [
    `Steps (${runs > 1 ? `each the median of ${runs} runs` : 'one run each, not repeated'}; latency = receive time - ` +
      'quote.ts; memory per connection = (loaded - one-client twin) / (N - 1) after forced GC; CPU in parentheses: too ' +
      `few deliveries to judge)\n${steps}`,
  ];
  if (results.ramp.length)
    parts.push(
      `Highest sustained load (p99 <= ${results.options.latencyLimitMs} ms, zero loss, not client-bound; "+": a lower bound, ` +
        `the server limit was not reached; x TCP only where both limits were found)\n${ramp}`,
    );
  parts.push(`Server memory per connection across the client sweep (least-squares line through the ok steps)\n${memory}`);
  if (results.upstream.length) parts.push(`Upstream round trips\n${upstream}`);
  if (results.proxy) parts.push(proxyTable(results));
  if (results.skipped.length)
    parts.push(`Skipped\n${results.skipped.map((s) => `  ${s.phase} ${named(s.transport)} n${s.clients}: ${s.reason}`).join('\n')}`);
  parts.push(
    results.checks.length
      ? `Checks of the figures (${results.checks.length} violations)\n${results.checks.map((c) => `  ${c.kind}: ${c.message}`).join('\n')}`
      : 'Checks of the figures: none violated',
  );
  parts.push(`Cores: ${results.pinning.note}`);
  parts.push(`Claim ws-heavier-than-sse: ${results.claim.verdict}. ${results.claim.explanation}`);
  return parts.join('\n\n');
}

/** A scale-out run: per transport, the single server behind nginx, 1 node and N, every process's CPU per delivery. */
export function clusterSummary(results: ClusterLoadResults): string {
  const us = (value: number | null | undefined) => num(value, 1);
  const rows = results.comparisons.flatMap((c) =>
    c.rows.map((r) => [
      c.transport,
      String(c.clients),
      r.kind === 'plain' ? 'server + nginx' : `cluster of ${r.nodes}`,
      num(r.deliveriesPerSecond),
      num(r.latencyMs.p50, 2),
      num(r.latencyMs.p99, 2),
      String(r.lost),
      us(r.cpu.server.usPerDelivery),
      us(r.cpu.redis?.usPerDelivery),
      us(r.cpu.publisher?.usPerDelivery),
      us(r.cpu.nginx.usPerDelivery),
      us(r.cpu.generator.usPerDelivery),
      us(r.serverSideUsPerDelivery),
      signed(r.busUsPerDelivery, 1),
      num(r.hostCores, 2),
      r.status,
    ]),
  );
  const body = table(
    [
      'transport',
      'N',
      'servers',
      'deliv/s',
      'p50 ms',
      'p99 ms',
      'lost',
      'server us/deliv',
      'redis',
      'publisher',
      'nginx',
      'generator',
      'server side',
      'bus adds',
      'host cores',
      'status',
    ],
    rows,
  );
  const bus = results.comparisons.map((c) => `${c.transport} at ${c.clients} clients: ${signed(c.busUsPerDelivery, 1)} us`).join('; ');
  const skipped = results.skipped.map((s) => `  ${s.transport} n${s.clients}: ${s.reason}`).join('\n');
  return [
    `Scaled out (every step behind nginx ${results.proxy.profile}; CPU in microseconds per delivery; server side = server or ` +
      `nodes + Redis + publisher; bus adds = server side minus the single server's)\n${body}`,
    `What the bus adds per delivery (1 node against the single server): ${bus || '-'}`,
    ...(skipped ? [`Skipped\n${skipped}`] : []),
    results.note,
  ].join('\n\n');
}
