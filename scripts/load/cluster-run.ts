/**
 * The scale-out pass: runClusterLoad(options) -> ClusterLoadResults (results/load-cluster.json), `npm run load -- --nodes N`.
 *
 * METHOD
 * - Per transport a cluster can run (sse, ws, socketio) and per N clients, three steps in a row, each with fresh
 *   processes and the step method of run.ts (connect, warm-up, a window fixed as a range of seqs, drain): one server
 *   process behind nginx's tuned profile (the --proxy path: the server, its twin, nginx), a cluster of 1 node and a
 *   cluster of N (`servers/cluster/cli.ts`: Redis, the publisher, the nodes, nginx's tuned profile balancing round
 *   robin). Every step goes through nginx, so nginx's cost is beside the others and not charged to the bus. A
 *   cluster's window opens no earlier than settleS (20 s in the full profile) after its ready line: its processes
 *   spend one-off bursts of CPU (V8 collecting start-up garbage) up to ~17 s after they start.
 * - CPU over the window: the server's or the nodes' from their /stats (process.cpuUsage, summed over the nodes);
 *   Redis's, the publisher's (the cluster process, the ready line's `pid`) and nginx's from /proc (utime + stime, clock
 *   ticks); the generator's from its workers. Each per delivery: µs of CPU / the quotes the servers wrote in the window
 *   (the generator's: / the quotes its workers read between their marks).
 * - What the bus adds per delivery = (nodes + Redis + publisher) - the plain server, both µs per delivery: the plain
 *   server runs its feed in-process, a cluster's publisher runs it once for all nodes and Redis carries it.
 * - Samples: each step is one run, no repeats; the three steps of a transport run back to back.
 * - Invalidated by: a step that is not `ok` (its row says so); another load on the machine (the windows are short);
 *   with fewer cores than nodes + Redis + nginx + generator, the deliveries/s of N nodes against 1 says nothing about
 *   scaling (the note says so) and only the per-delivery costs carry over.
 */
import { writeJson } from '../lib/json.ts';
import { runMetadata } from '../lib/metadata.ts';
import { buildStep, type StepObservation, type StepPlan } from './aggregate.ts';
import { CLOCK_TICKS } from './nginx-proc.ts';
import type { ClusterLoadOptions } from './options.ts';
import { planPinning } from './pinning.ts';
import { AbortedError, Children } from './processes.ts';
import { medianDeep, summarizeRuns } from './repeats.ts';
import { loadEnvironment, proxyRun, type RunHooks, stepLabel } from './run.ts';
import { observeStep } from './step.ts';
import type { ClusterComparison, ClusterLoadResults, ClusterRow, ProcessCpu, SkippedStep, StepResult } from './types.ts';

export const CLUSTER_METHOD = [
  'Per transport a cluster can run and per N clients, three steps in a row with fresh processes, each measured as any load ' +
    "step (connect, warm-up, a window fixed as a range of seqs, drain): one server process behind nginx's tuned profile " +
    '(its feed inside it, no Redis), a cluster of 1 node and a cluster of N (servers/cluster/cli.ts: Redis, one publisher, ' +
    "the nodes, nginx's tuned profile balancing round robin). Every step goes through nginx, so nginx's cost is not charged to the bus.",
  "CPU over the window: the server's or the nodes' from their /stats (process.cpuUsage, summed over the nodes); Redis's, " +
    "the publisher's (the cluster process) and nginx's from /proc/<pid>/stat (utime + stime, clock ticks); the generator's " +
    "from its workers. Per delivery = microseconds of CPU / the quotes the servers wrote in the window (the generator's: / " +
    'the quotes its workers read between their marks).',
  'What the bus adds per delivery = (nodes + Redis + publisher) - the single server, microseconds per delivery each. ' +
    'Each step runs `repeats` times (a window each on the same processes); a row is the median of its runs, the bus cost ' +
    "taken run by run against the single server's same run.",
];

/** What this machine can show about scaling out: with fewer cores than busy processes, only the per-delivery costs. */
export function clusterNote(cpus: number, nodes: number): string {
  const processes =
    `the ${nodes} node${nodes === 1 ? '' : 's'} share${nodes === 1 ? 's' : ''} the ${cpus} cores with Redis, the publisher, nginx ` +
    'and the load generator';
  const cost =
    'What carries over to a bigger machine is the cost per delivery: busUsPerDelivery, the CPU the bus (Redis, the publisher, ' +
    'every node reading the stream) adds to each delivery beside a single server. Redis and the publisher work per quote, not ' +
    'per client, so their share of a delivery shrinks as each quote goes to more clients.';
  if (cpus >= nodes + 3) return `On this ${cpus}-core machine ${processes}, with a core for each node. ${cost}`;
  return (
    `On this ${cpus}-core machine ${processes}, so ${nodes} nodes cannot deliver faster than 1 here: another node adds a ` +
    `process competing for the same cores, not a core. ${cost}`
  );
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A /proc figure over the window: clock ticks to ms, cores and µs per delivery. */
export function ticksCpu(ticks: number | null, seconds: number | null, deliveries: number | null): ProcessCpu {
  const cpuMs = ticks === null ? null : round((ticks * 1000) / CLOCK_TICKS, 3);
  return {
    ticks,
    cpuMs,
    cores: cpuMs !== null && seconds ? round(cpuMs / 1000 / seconds, 3) : null,
    usPerDelivery: cpuMs !== null && deliveries ? round((cpuMs * 1000) / deliveries) : null,
  };
}

const sumOrNull = (values: readonly (number | null | undefined)[]) =>
  values.some((v) => v === null || v === undefined)
    ? null
    : round(
        values.reduce<number>((sum, v) => sum + v!, 0),
        3,
      );

/**
 * One step's row: its delivery figures and every process's CPU per delivery. `cluster` is the step's cluster
 * observation (none for the plain server); `plain` the plain server's row, which the bus cost is measured against.
 */
export function clusterRow(step: StepResult, cluster: StepObservation['cluster'], plain: ClusterRow | null): ClusterRow {
  const deliveries = step.server.messagesSent;
  const { start, end } = cluster ?? {};
  const seconds = start && end ? (end.wallMs - start.wallMs) / 1000 : null;
  const redis = cluster ? ticksCpu(start && end ? end.redisTicks - start.redisTicks : null, seconds, deliveries) : null;
  const publisher = cluster ? ticksCpu(start && end ? end.publisherTicks - start.publisherTicks : null, seconds, deliveries) : null;
  const server: ProcessCpu = {
    ticks: null,
    cpuMs: step.server.cpuMs,
    cores: step.server.cores,
    // ms per 1,000 deliveries is µs per delivery.
    usPerDelivery: step.server.cpuMsPer1kDeliveries === null ? null : round(step.server.cpuMsPer1kDeliveries),
  };
  const nginx: ProcessCpu = step.proxy
    ? { ticks: step.proxy.cpu.ticks, cpuMs: step.proxy.cpu.cpuMs, cores: step.proxy.cpu.cores, usPerDelivery: step.proxy.cpu.usPerDelivery }
    : { ticks: null, cpuMs: null, cores: null, usPerDelivery: null };
  const serverSide = sumOrNull([server.usPerDelivery, ...(cluster ? [redis!.usPerDelivery, publisher!.usPerDelivery] : [])]);
  const plainServer = plain?.cpu.server.usPerDelivery ?? null;
  const generatorCores = step.generator.cores.length
    ? round(
        step.generator.cores.reduce((sum, c) => sum + c, 0),
        3,
      )
    : null;
  return {
    kind: cluster ? 'cluster' : 'plain',
    nodes: cluster ? cluster.ready.nodes.length : 1,
    stepId: step.id,
    status: step.status,
    clients: step.clients,
    connected: step.connect.connected,
    lost: step.delivery.lost,
    deliveriesPerSecond: step.delivery.deliveriesPerSecond,
    latencyMs: { p50: step.delivery.latencyMs.p50, p99: step.delivery.latencyMs.p99 },
    deliveries,
    cpu: { server, redis, publisher, nginx, generator: { cores: generatorCores, usPerDelivery: step.generator.usPerDelivery } },
    serverSideUsPerDelivery: serverSide,
    busUsPerDelivery: cluster && serverSide !== null && plainServer !== null ? round(serverSide - plainServer) : null,
    hostCores: sumOrNull([server.cores, ...(cluster ? [redis!.cores, publisher!.cores] : []), nginx.cores, generatorCores]),
    pids: {
      cluster: cluster?.ready.pid ?? null,
      servers: cluster ? cluster.ready.nodes.map((n) => n.pid) : step.server.pid === null ? [] : [step.server.pid],
      redis: cluster?.ready.redis.pid ?? null,
      nginx: step.proxy?.masterPid ? [step.proxy.masterPid, ...step.proxy.workerPids] : [],
    },
  };
}

export async function runClusterLoad(options: ClusterLoadOptions, hooks: RunHooks = {}): Promise<ClusterLoadResults> {
  const started = performance.now();
  const signal = hooks.signal ?? new AbortController().signal;
  const meta = runMetadata();
  const pinning = hooks.pinning ?? planPinning();
  // The machine's cores, as planned before the runner pinned itself onto the client side's.
  const cpus = pinning.cores;
  const children = new Children(pinning);
  const proxy = await proxyRun(options);
  const steps: StepResult[] = [];
  const runs: StepResult[] = [];
  const skipped: SkippedStep[] = [];
  const comparisons: ClusterComparison[] = [];
  let aborted = false;
  // One node, then N: the bus alone, then the bus with the cores shared by more nodes.
  const sizes = options.nodes === 1 ? [1] : [1, options.nodes];

  /** A step's runs as rows (each run's bus cost against the plain server's same run), and the row of their medians. */
  const measure = async (plan: StepPlan, plain: ClusterRow[] | null): Promise<{ row: ClusterRow; rows: ClusterRow[] }> => {
    const label = stepLabel(plan);
    const observed = await observeStep(
      plan,
      { options, ca: null, children, signal, progress: (p) => hooks.onProgress?.(label, p) },
      options.repeats,
    );
    const stepRuns = observed.map((o) => buildStep(o, options));
    const summary = summarizeRuns(stepRuns);
    steps.push(summary);
    runs.push(...stepRuns);
    hooks.onResult?.(label, summary);
    const rows = stepRuns.map((step, i) => clusterRow(step, observed[i]!.cluster, plain?.[i] ?? null));
    return { row: { ...medianDeep(rows), stepId: summary.id, status: summary.status }, rows };
  };

  try {
    for (const clients of options.clients) {
      for (const transport of options.transports) {
        if (clients > proxy.clientCap) {
          skipped.push({ phase: 'clients', transport, clients, rate: options.rate, reason: `through nginx: ${proxy.clientCapNote}` });
          continue;
        }
        const plan: StepPlan = { phase: 'clients', transport, tls: false, clients, rate: options.rate, padding: 0, proxy: 'tuned' };
        // Pushed first, filled as its steps finish: an aborted run keeps the rows measured so far.
        const comparison: ClusterComparison = { transport, clients, rate: options.rate, rows: [], busUsPerDelivery: null };
        comparisons.push(comparison);
        const plain = await measure(plan, null);
        comparison.rows.push(plain.row);
        for (const nodes of sizes) comparison.rows.push((await measure({ ...plan, nodes }, plain.rows)).row);
        comparison.busUsPerDelivery = comparison.rows.find((r) => r.kind === 'cluster' && r.nodes === 1)?.busUsPerDelivery ?? null;
      }
    }
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    aborted = true;
  } finally {
    await children.stopAll();
    children.dispose();
  }

  const results: ClusterLoadResults = {
    kind: 'load-cluster',
    schema: 2,
    meta,
    method: CLUSTER_METHOD,
    profile: hooks.profile ?? 'custom',
    options,
    environment: loadEnvironment(false),
    note: clusterNote(cpus, options.nodes),
    cluster: { nodes: options.nodes, balance: 'round-robin', heartbeatMs: options.heartbeatMs, cpus },
    proxy,
    comparisons,
    steps,
    runs,
    pinning,
    skipped,
    aborted,
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
  };
  if (options.out) await writeJson(options.out, results);
  return results;
}
