/**
 * The load run beyond its charts: how many runs each figure is the median of and where the processes ran (pinning), the
 * runner's checks of its own figures, the ramp and upstream tables with their spread, and "why is SSE's p99 higher?"
 * worked out from the client sweep's largest N. html.ts and markdown.ts render the same blocks.
 */
import type { LoadResults, StepResult } from '../load/types.ts';
import type { Block, Cell, Section } from './blocks.ts';
import { LABELS, loadCharts, runLabel, type ChartSpec } from './charts.ts';
import type { ReportInputs } from './inputs.ts';
import { rampCharts, rampTable } from './ramp.ts';
import { cpuJudged, spreadOf, withRange } from './spread.ts';

const p = (text: string): Block => ({ kind: 'p', text });

/** Repeats of this run, in one sentence: how many runs each figure is the median of, or "one run, not repeated". */
export function runsLine(load: LoadResults): string {
  const repeats = load.options.repeats ?? 1;
  return repeats > 1
    ? `Repeats: each step ran ${repeats} times, one window after another on the same servers and connections; every figure ` +
        `is the median of its runs, with min and max kept (${load.runs?.length ?? '?'} runs of ${load.steps.length} steps, ` +
        `profile ${load.profile}). Charts draw the median with a min–max whisker.`
    : `Repeats: one run, not repeated (profile ${load.profile}, ${load.steps.length} steps): a difference of a few percent ` +
        'between transports may be noise.';
}

/** Where the server and the generator ran: the cores and the pinning the runner recorded. */
export function pinningLine(load: { pinning?: LoadResults['pinning'] }): string {
  const pin = load.pinning;
  if (!pin) return 'Cores and pinning: not recorded (results from before pinning): server and generator shared every core.';
  const cores = `${pin.cores} core${pin.cores === 1 ? '' : 's'} available${pin.method === 'taskset' ? ', pinned with taskset' : ''}`;
  return `Cores and pinning: ${pin.note} (${cores}).`;
}

/** The runner's consistency checks of each load run present, one item per violation. */
function checkItems(inputs: ReportInputs): { items: string[]; note: string } {
  const runs: [string, LoadResults | null][] = [
    ['', inputs.load],
    ['TLS pass: ', inputs.loadTls],
    ['through nginx: ', inputs.loadProxy],
  ];
  const items: string[] = [];
  const unchecked: string[] = [];
  for (const [prefix, run] of runs) {
    if (!run) continue;
    if (!run.checks) unchecked.push(prefix ? prefix.replace(': ', '') : 'the load run');
    for (const c of run.checks ?? [])
      items.push(`${prefix}**${c.kind}**: ${c.message} (\`${c.stepId}\`${c.against ? ` against \`${c.against}\`` : ''}).`);
  }
  const note = unchecked.length ? ` Not checked (results from before the checks): ${unchecked.join(', ')}.` : '';
  return { items, note };
}

/** The load part of "Method and limitations": the method, repeats, cores and pinning, and the checks of the figures. */
export function loadMethodBlocks(inputs: ReportInputs): Block[] {
  const load = inputs.load;
  if (!load) return [];
  const { items, note } = checkItems(inputs);
  return [
    p('Load runner method:'),
    { kind: 'list', items: load.method },
    p(runsLine(load)),
    p(pinningLine(load)),
    p(
      'Checks of the figures: the runner flags a transport cheaper per delivery than the raw-TCP floor beyond both spreads, ' +
        "a window with too few deliveries to judge CPU (left out of CPU charts), and a generator spending more than half the server's " +
        'CPU per delivery where it could have set the pace (a ramp step, or a worker at half a core or more).' +
        `${note} ${items.length ? `${items.length} flagged:` : 'None flagged.'}`,
    ),
    ...(items.length ? [{ kind: 'list', items } as Block] : []),
  ];
}

interface Side {
  step: StepResult;
  /** Server CPU to write one quote to every client, ms; null when the window was too short to judge CPU. */
  serverMs: number | null;
  /** Generator CPU to read one quote on every client, per worker, ms. */
  generatorMs: number | null;
}

/** The workers that read the step's clients between them (the probe, with its few, left out). */
const readingWorkers = (step: StepResult) => Math.max(1, step.generator.workers - (step.generator.probeClients > 0 ? 1 : 0));

/** Per quote at N clients: the server's fan-out (µs per delivery × N) against one generator worker's share of the reading. */
function sideOf(step: StepResult): Side {
  const n = step.clients;
  const serverUs = cpuJudged(step) ? step.server.cpuMsPer1kDeliveries : null;
  const generatorUs = step.generator.usPerDelivery;
  return {
    step,
    serverMs: serverUs === null ? null : (serverUs * n) / 1000,
    generatorMs: generatorUs === null ? null : (generatorUs * n) / 1000 / readingWorkers(step),
  };
}

const slower = (s: Side) => (s.serverMs === null || s.generatorMs === null ? null : s.serverMs >= s.generatorMs ? 'server' : 'generator');
const ms = (v: number | null) => (v === null ? '?' : v.toFixed(2));

/** "Why is SSE's p99 at N clients higher?": the client sweep's largest N, each transport's two sides per quote. */
export function p99Section(load: LoadResults): Section | null {
  const sweep = load.steps.filter((s) => s.phase === 'clients' && s.status !== 'failed' && !s.proxy);
  if (sweep.length === 0) return null;
  const n = Math.max(...sweep.map((s) => s.clients));
  const sides = load.options.transports.flatMap((t) => {
    const step = sweep.find((s) => s.transport === t && s.clients === n);
    return step ? [sideOf(step)] : [];
  });
  const sse = sides.find((s) => s.step.transport === 'sse');
  const other = sides.find((s) => s.step.transport === 'ws') ?? sides.find((s) => s.step.transport !== 'sse' && s.step.transport !== 'tcp');
  const p99 = (s: Side | undefined) => s?.step.delivery.latencyMs.p99 ?? null;
  const higher = sse && other && p99(sse) !== null && p99(other) !== null && p99(sse)! > p99(other)!;
  const scaled = (step: StepResult, figure: 'cpuMsPer1kDeliveries' | 'generatorUsPerDelivery', perWorker: boolean) => {
    const spread = spreadOf(step, figure);
    const k = step.clients / 1000 / (perWorker ? readingWorkers(step) : 1);
    return spread && { ...spread, median: spread.median * k, min: spread.min * k, max: spread.max * k };
  };
  const rows: Cell[][] = sides.map((s) => [
    runLabel(load, s.step.transport),
    cpuJudged(s.step) ? withRange(s.step.server.cpuMsPer1kDeliveries, spreadOf(s.step, 'cpuMsPer1kDeliveries')) : 'not judged',
    s.serverMs === null ? null : withRange(s.serverMs, scaled(s.step, 'cpuMsPer1kDeliveries', false)),
    withRange(s.step.generator.usPerDelivery, spreadOf(s.step, 'generatorUsPerDelivery')),
    readingWorkers(s.step),
    s.generatorMs === null ? null : withRange(s.generatorMs, scaled(s.step, 'generatorUsPerDelivery', true)),
    slower(s),
    withRange(s.step.delivery.latencyMs.p50, spreadOf(s.step, 'p50Ms')),
    withRange(s.step.delivery.latencyMs.p99, spreadOf(s.step, 'p99Ms')),
    s.step.status,
  ]);
  const interval = 1000 / load.options.rate;
  const perTransport = sides
    .map((s) => `${LABELS[s.step.transport]} ${ms(s.serverMs)} against ${ms(s.generatorMs)} ms (${slower(s) ?? 'not judged'} slower)`)
    .join(', ');
  const sentences = [
    `A quote leaves the server one write per client, so at ${n.toLocaleString('en-US')} clients the last client's copy waits ` +
      "for the writes to all the others: the server's CPU per delivery times N is its fan-out time per quote, and each " +
      "generator worker's share of the reading is the same on the other side. Per quote, server against generator (per " +
      `worker): ${perTransport}; a new quote comes every ${interval.toFixed(0)} ms.`,
  ];
  // With a probe, latencies are timed by clients read as data arrives; at raised priority the batched workers' polls
  // are off their path, at normal priority they share its core and can delay it.
  const probe = sides.find((s) => s.step.generator.probeClients > 0)?.step.generator;
  const offPath = probe !== undefined && probe.probeNice < 0;
  if (probe)
    sentences.push(
      `The latencies are the probe's: ${probe.probeClients} clients read as data arrives, spread through the server's ` +
        'connection order. The batched workers read every other client in polls' +
        (offPath
          ? ` while the probe runs at a higher priority (nice ${probe.probeNice}), so their time per quote adds little to ` +
            "the tail here; it is shown for their weight against the server's."
          : '; the probe ran at normal priority (raising it was not permitted), so a poll on its core can delay it and ' +
            'add to the tail.'),
    );
  if (sse && other && p99(sse) !== null && p99(other) !== null) {
    const [a, b] = [sse.serverMs, other.serverMs];
    const otherLabel = LABELS[other.step.transport];
    const head = `SSE's p99 (${ms(p99(sse))} ms) is ${higher ? 'higher than' : 'not higher than'} ${otherLabel}'s (${ms(p99(other))} ms)`;
    if (a === null || b === null) sentences.push(`${head}; a window too short to judge server CPU leaves the comparison open.`);
    else if ((offPath || slower(sse) === 'server') && a > b)
      sentences.push(
        `${head}; SSE's server takes ${(a / b).toFixed(2)}× as long as ${otherLabel}'s to fan a quote out ` +
          `(${ms(a)} against ${ms(b)} ms): the difference lies in the server.`,
      );
    else if (offPath || slower(sse) === 'server')
      sentences.push(
        `${head}; SSE's fan-out is no slower than ${otherLabel}'s (${ms(a)} against ${ms(b)} ms), so server CPU per quote ` +
          'does not explain the difference.',
      );
    else
      sentences.push(
        `${head}; for SSE the generator is the slower side (${ms(sse.generatorMs)} ms per quote per worker against the ` +
          `server's ${ms(a)}; ${otherLabel}'s generator ${ms(other.generatorMs)} ms), so part of SSE's tail is the readers' ` +
          "queue, not the server: with a lighter generator the figure would come closer to the server's own.",
      );
  }
  const busy = sides.filter((s) => Math.max(s.serverMs ?? 0, offPath ? 0 : (s.generatorMs ?? 0)) > interval / 2);
  if (busy.length)
    sentences.push(
      `Where a side's time per quote passes half the ${interval.toFixed(0)} ms between quotes ` +
        `(${busy.map((s) => LABELS[s.step.transport]).join(', ')}), ` +
        'the next quote often finds it still busy and the tail grows with the queue.',
    );
  return {
    id: 'sse-p99',
    title: `${higher ? 'Why is' : 'Is'} SSE's p99 at ${n.toLocaleString('en-US')} clients higher?`,
    blocks: [
      {
        kind: 'table',
        caption:
          `The client sweep's largest N (${n.toLocaleString('en-US')} clients, ${load.options.rate} quotes/s). ` +
          'Server fan-out per quote = ' +
          'server CPU µs per delivery × N / 1000; generator per quote = generator µs per delivery × N / 1000 / reading ' +
          'workers (the probe left out). ' +
          'In brackets: min–max over the runs.',
        head: [
          'transport',
          'server µs per delivery',
          'server fan-out ms per quote',
          'generator µs per delivery',
          'reading workers',
          'generator ms per quote (per worker)',
          'slower per quote',
          'p50 ms',
          'p99 ms',
          'status',
        ],
        rows,
      },
      ...sentences.map(p),
    ],
  };
}

/** The upstream round trips with the spread of their runs. */
function upstreamTable(load: LoadResults): Block | null {
  if (load.upstream.length === 0) return null;
  return {
    kind: 'table',
    caption:
      'Round trips at fixed concurrency (closed loop), each the median of its runs against a fresh server; in brackets, ' +
      'min–max over the runs where there were several.',
    head: ['transport', 'method', 'connections', 'runs', 'round trips/s', 'p50 ms', 'p99 ms', 'server CPU ms per 1,000', 'status'],
    rows: load.upstream.map((u) => {
      const repeated = (u.runs ?? 1) > 1;
      return [
        `${LABELS[u.transport]}${u.tls ? ' (TLS)' : ''}`,
        u.method,
        u.connections,
        u.runs ?? 1,
        withRange(u.requestsPerSecond, repeated ? (u.spread?.requestsPerSecond ?? null) : null, 0),
        u.latencyMs.p50,
        withRange(u.latencyMs.p99, repeated ? (u.spread?.p99Ms ?? null) : null),
        withRange(u.serverCpuMsPer1kRequests, repeated ? (u.spread?.serverCpuMsPer1kRequests ?? null) : null, 1),
        u.status,
      ];
    }),
  };
}

/** The load section, the p99 explanation and the load charts (drawn in the claims' sections; listed here). */
export function loadSection(inputs: ReportInputs): { sections: Section[]; charts: ChartSpec[] } {
  const load = inputs.load;
  if (!load) return { sections: [], charts: [] };
  const charts = [...loadCharts(load, inputs.loadTls), ...rampCharts(load)];
  const ramp = rampTable(load);
  const upstream = upstreamTable(load);
  const section: Section = {
    id: 'load-figures',
    title: 'Load figures: repeats, ramp and round trips',
    blocks: [
      p(runsLine(load)),
      p(pinningLine(load)),
      p('Checks of the runner’s own figures and the method: [Method and limitations](#method).'),
      ...(ramp ? [ramp] : []),
      ...(upstream ? [upstream] : []),
      ...charts.map((c): Block => ({ kind: 'chart', id: c.id })),
    ],
  };
  const p99 = p99Section(load);
  return { sections: p99 ? [section, p99] : [section], charts };
}
