/**
 * Turns what a step observed (worker reports, /stats snapshots, CPU marks) into a StepResult,
 * and steps into ramp summaries. Pure functions, so the arithmetic is unit-tested on its own:
 * per-connection memory against the one-client twin, CPU and bytes per delivery from /stats deltas,
 * client-bound detection from the workers' CPU, and what stopped a step from its error codes.
 */
import { proxyServesTls, type ProxyProfile } from '../../servers/proxy/profiles.ts';
import type { Transport } from '../../servers/transports.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { FLOOR, usesTls } from './capabilities.ts';
import { encode, merge, percentiles } from './histogram.ts';
import type { ClusterReadyLine } from '../../servers/cluster/cluster.ts';
import type { ClusterProcReading } from './cluster-proc.ts';
import { CLOCK_TICKS, type NginxReading } from './nginx-proc.ts';
import type { LoadOptions } from './options.ts';
import type { ConnectedMessage, CpuMark, ReportMessage } from './protocol.ts';
import type { MemorySample, MemorySummary, Phase, RampSummary, StepProxy, StepResult, StepStatus } from './types.ts';

export interface StepPlan {
  phase: Phase;
  transport: Transport;
  /** Over TLS (capabilities.ts usesTls). */
  tls: boolean;
  clients: number;
  rate: number;
  padding: number;
  /** nginx in front with this profile; absent or `null`: clients reach the server directly. */
  proxy?: ProxyProfile | null;
  /**
   * A cluster of this many nodes (servers/cluster/cli.ts: Redis, a publisher, the nodes, nginx's tuned profile in front)
   * instead of one server and its twin; absent or `null`: one server.
   */
  nodes?: number | null;
}

/** Everything a step observed; fields stay undefined when the step failed before reaching them. */
export interface StepObservation {
  plan: StepPlan;
  /** Which run of the step (1..): each run is a window of its own on the same servers and connections. */
  run: number;
  warmupS: number;
  durationS: number;
  sourceAddresses: number;
  workers: number;
  /** The batched workers' poll interval, ms (0: none batched). */
  pollMs: number;
  /** Clients the probe worker timed (0: no probe, every worker timed its own). */
  probeClients: number;
  /** The probe's scheduling priority (0: normal, where raising it was not permitted). */
  probeNice: number;
  error?: string;
  connected?: ConnectedMessage[];
  serverCounted?: number;
  window?: { from: number; to: number };
  /** /stats of the loaded server (a cluster's nodes summed) and its twin (a cluster has none) at the window's ends, with wall ms. */
  start?: { loaded: StatsSnapshot; twin?: StatsSnapshot; wallMs: number };
  end?: { loaded: StatsSnapshot; twin?: StatsSnapshot; wallMs: number };
  /** Bytes of the runner's own /stats answers the loaded server wrote between start and end. */
  probeBytes?: number;
  reports?: ReportMessage[];
  /** After forced GC, clients still connected. */
  memory?: { loaded: StatsSnapshot; twin: StatsSnapshot };
  /** A proxied step: nginx from the ready line, and /proc readings before connecting, at the window's ends and with the memory. */
  nginx?: {
    masterPid: number;
    upstream: string;
    idle?: NginxReading | null;
    start?: NginxReading | null;
    end?: NginxReading | null;
    loaded?: NginxReading | null;
  };
  /** A cluster step: its ready line (every pid), and Redis's and the publisher's CPU from /proc at the window's ends. */
  cluster?: { ready: ClusterReadyLine; start?: ClusterProcReading | null; end?: ClusterProcReading | null };
}

export function stepId(plan: StepPlan): string {
  // A cluster always has nginx in front: its id names the cluster.
  const via = plan.nodes ? `-cluster${plan.nodes}` : plan.proxy ? `-nginx-${plan.proxy}` : '';
  return `load/${plan.phase}/${plan.transport}/n${plan.clients}-r${plan.rate}-p${plan.padding}${plan.tls ? '-tls' : ''}${via}`;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const cpuOf = (s: StatsSnapshot) => s.cpuUserMicros + s.cpuSystemMicros;

export function memorySample(s: StatsSnapshot): MemorySample {
  return { connections: s.connections, rss: s.rss, heapUsed: s.heapUsed, heapTotal: s.heapTotal, external: s.external, gc: s.gc };
}

/**
 * (loaded - twin) / (loaded.connections - twin.connections) for heap, RSS and external memory, in
 * whole bytes: the twin holds one client, so the difference is N - 1 connections; null without any.
 */
export function perConnection(loaded: MemorySample, idle: MemorySample): StepResult['server']['perConnection'] {
  const n = loaded.connections - idle.connections;
  if (n <= 0) return { heapBytes: null, rssBytes: null, externalBytes: null };
  return {
    heapBytes: Math.round((loaded.heapUsed - idle.heapUsed) / n),
    rssBytes: Math.round((loaded.rss - idle.rss) / n),
    externalBytes: Math.round((loaded.external - idle.external) / n),
  };
}

/**
 * A worker's CPU between its two marks, in cores over the window's `seconds` or the marks' own span, whichever is
 * longer (1 = one core busy the whole time): a batched worker that reads the window in one wake marks that wake alone,
 * and one that reads late (or ends at collect) marks past the window.
 */
export function coresOver(start: CpuMark, end: CpuMark, seconds: number): number {
  const span = Math.max(seconds, (end.wallMs - start.wallMs) / 1000);
  return span > 0 ? (end.cpuMicros - start.cpuMicros) / 1e6 / span : 0;
}

/** The generator was the bottleneck when any worker process used about a full core. */
export function isClientBound(workerCores: readonly number[], threshold: number): boolean {
  return workerCores.some((cores) => cores >= threshold);
}

/** What each connect error code means for a load step, so a report can say which limit stopped it. */
const LIMITS: Record<string, string> = {
  EMFILE: 'the per-process file-descriptor limit (RLIMIT_NOFILE, `ulimit -n`)',
  ENFILE: 'the system-wide file limit (fs.file-max)',
  EADDRNOTAVAIL: 'the ephemeral ports of a source address (net.ipv4.ip_local_port_range); spread clients over more 127.0.0.x addresses',
  EADDRINUSE: 'the ephemeral ports of a source address (net.ipv4.ip_local_port_range); spread clients over more 127.0.0.x addresses',
  ECONNREFUSED: 'the server refusing connections (listen backlog full, or the server gone)',
  ECONNRESET: 'connections reset during the handshake (accept backlog overflow or an overloaded server)',
  ETIMEDOUT: 'connects not finishing within the connect timeout (server or generator saturated, or SYN backlog)',
  HTTP_503: "the server's connection cap (--max-connections)",
  WS_1013: "the server's connection cap (--max-connections)",
  LAB_CONNECTION_CAP: "the server's connection cap (--max-connections)",
};

/** "N of M clients failed to connect: CODE xK (meaning); ..." or null when all connected. */
export function limitedBy(attempted: number, errors: Record<string, number>): string | null {
  const codes = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  const failed = codes.reduce((sum, [, n]) => sum + n, 0);
  if (failed === 0) return null;
  const parts = codes.map(([code, n]) => `${code} x${n}${LIMITS[code] ? ` (${LIMITS[code]})` : ''}`);
  return `${failed} of ${attempted} clients failed to connect: ${parts.join('; ')}`;
}

function sumErrors(connected: readonly ConnectedMessage[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const c of connected) for (const [code, n] of Object.entries(c.errors)) errors[code] = (errors[code] ?? 0) + n;
  return errors;
}

/** The feed fell behind its schedule: the window took more than 10% (+0.1 s of polling slack) longer than planned. */
export function isSaturated(window: Pick<StepResult['window'], 'seconds' | 'plannedSeconds'>): boolean {
  return window.seconds !== null && window.seconds > window.plannedSeconds * 1.1 + 0.1;
}

/**
 * Clients that connected but were gone before the window (closed early, or never counted by the
 * server): `expected` counts only the clients open at the window, so they would vanish from it.
 */
export function missingBeforeWindow(step: Pick<StepResult, 'connect' | 'delivery'>): string | null {
  const { connected, serverCounted } = step.connect;
  const parts: string[] = [];
  if (step.delivery.windowClients < connected)
    parts.push(`${connected - step.delivery.windowClients} of ${connected} connected clients closed before the window opened`);
  if (serverCounted !== null && serverCounted < connected)
    parts.push(`the server counted ${serverCounted} of ${connected} connected clients before the window`);
  return parts.length ? parts.join('; ') : null;
}

export function stepStatus(
  step: Pick<StepResult, 'error' | 'connect' | 'generator' | 'delivery' | 'window'>,
  latencyLimitMs: number,
): StepStatus {
  if (step.error) return 'failed';
  if (step.connect.failed > 0 || missingBeforeWindow(step)) return 'incomplete';
  if (step.generator.clientBound) return 'client-bound';
  const d = step.delivery;
  if (d.lost > 0 || d.duplicated > 0 || d.outOfOrder > 0 || d.expected === 0) return 'loss';
  if (isSaturated(step.window)) return 'saturated';
  if (d.latencyMs.p99 === null || d.latencyMs.p99 > latencyLimitMs) return 'slow';
  return 'ok';
}

/**
 * nginx's figures of a proxied step; `directId` and `addedLatencyMs` are filled by the runner once
 * the step is paired with its direct twin (withDirect).
 */
export function proxyFigures(o: StepObservation, messagesSent: number | null, connected: number): StepProxy | null {
  if (!o.plan.proxy) return null;
  const n = o.nginx;
  const { start, end, idle, loaded } = n ?? {};
  // Ticks only add up over the same processes: a worker that died or was replaced in the window voids the figure.
  const samePids = start && end && start.pids.join() === end.pids.join();
  const ticks = samePids ? end.ticks - start.ticks : null;
  const cpuMs = ticks === null ? null : round((ticks * 1000) / CLOCK_TICKS);
  const seconds = start && end ? (end.wallMs - start.wallMs) / 1000 : null;
  return {
    kind: 'nginx',
    profile: o.plan.proxy,
    masterPid: n?.masterPid ?? null,
    workerPids: (end ?? start ?? idle)?.pids.slice(1) ?? [],
    clientTls: proxyServesTls(o.plan.proxy),
    upstream: n?.upstream ?? null,
    directId: null,
    addedLatencyMs: { p50: null, p99: null },
    memory: {
      idleRssBytes: idle?.workersRssBytes ?? null,
      loadedRssBytes: loaded?.workersRssBytes ?? null,
      masterRssBytes: loaded?.masterRssBytes ?? null,
      perClientBytes: idle && loaded && connected > 0 ? Math.round((loaded.workersRssBytes - idle.workersRssBytes) / connected) : null,
    },
    cpu: {
      clockTicksPerSecond: CLOCK_TICKS,
      ticks,
      cpuMs,
      cores: cpuMs !== null && seconds ? round(cpuMs / 1000 / seconds) : null,
      usPerDelivery: cpuMs !== null && messagesSent ? round((cpuMs * 1000) / messagesSent, 2) : null,
    },
  };
}

/** A proxied step paired with the same step measured directly: what nginx added to delivery latency. */
export function withDirect(proxied: StepResult, direct: StepResult | undefined): StepResult {
  if (!proxied.proxy || !direct) return proxied;
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a - b));
  const [through, straight] = [proxied.delivery.latencyMs, direct.delivery.latencyMs];
  return {
    ...proxied,
    proxy: {
      ...proxied.proxy,
      directId: direct.id,
      addedLatencyMs: { p50: diff(through.p50, straight.p50), p99: diff(through.p99, straight.p99) },
    },
  };
}

/** One StepResult from a StepObservation; whatever was not observed is null. */
export function buildStep(
  o: StepObservation,
  options: Pick<LoadOptions, 'clientBoundCores' | 'latencyLimitMs' | 'cpuMinDeliveries'>,
): StepResult {
  const connected = o.connected ?? [];
  const connectHistogram = merge(connected.map((c) => c.histogram));
  const errors = sumErrors(connected);
  const attempted = o.plan.clients;
  const connectedCount = connected.reduce((sum, c) => sum + c.connected, 0);
  const failed = o.connected ? connected.reduce((sum, c) => sum + c.failed, 0) : 0;

  const quotes = o.window ? o.window.to - o.window.from + 1 : 0;
  const reports = o.reports ?? [];
  // Latencies from the workers that read as data arrived (the probe); a batched worker's are up to a poll late.
  const timed = reports.filter((r) => r.timed);
  const latency = merge(timed.map((r) => r.histogram));
  const windowClients = reports.reduce((sum, r) => sum + r.clients, 0);
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const expected = windowClients * quotes;
  const seconds = o.start && o.end ? (o.end.wallMs - o.start.wallMs) / 1000 : null;

  let cpuMs: number | null = null;
  let idleCpuMs: number | null = null;
  let messagesSent: number | null = null;
  let twinMessagesSent: number | null = null;
  let bytesWritten: number | null = null;
  if (o.start && o.end) {
    cpuMs = (cpuOf(o.end.loaded) - cpuOf(o.start.loaded)) / 1000;
    if (o.start.twin && o.end.twin) {
      idleCpuMs = (cpuOf(o.end.twin) - cpuOf(o.start.twin)) / 1000;
      twinMessagesSent = o.end.twin.messagesSent - o.start.twin.messagesSent;
    }
    messagesSent = o.end.loaded.messagesSent - o.start.loaded.messagesSent;
    bytesWritten = o.end.loaded.bytesWritten - o.start.loaded.bytesWritten - (o.probeBytes ?? 0);
  }
  const per1k = (ms: number | null, deliveries: number | null) => (ms !== null && deliveries ? round((ms / deliveries) * 1000, 4) : null);
  const netDeliveries = messagesSent !== null && twinMessagesSent !== null ? messagesSent - twinMessagesSent : null;

  const workerMarks = o.reports?.map((r) => r.marks);
  const workerCores = (workerMarks ?? []).map((m) => round(coresOver(m.start, m.end, seconds ?? 0)));
  const workerCpuMicros = workerMarks ? workerMarks.reduce((sum, m) => sum + m.end.cpuMicros - m.start.cpuMicros, 0) : null;
  // Read at the same instants as the CPU, around the worker's reads of the window (ReportMessage.marks).
  const workerQuotes = workerMarks ? workerMarks.reduce((sum, m) => sum + m.end.quotes - m.start.quotes, 0) : 0;
  const maxCores = workerCores.length > 0 ? Math.max(...workerCores) : null;
  // Without a twin (a cluster) the servers' share is the nodes' alone.
  const hostCores =
    seconds && cpuMs !== null && (idleCpuMs !== null || o.plan.nodes) && workerMarks
      ? round((cpuMs + (idleCpuMs ?? 0)) / 1000 / seconds + workerCores.reduce((sum, c) => sum + c, 0))
      : null;

  const loaded = o.memory ? memorySample(o.memory.loaded) : null;
  const idle = o.memory ? memorySample(o.memory.twin) : null;
  const end = o.end?.loaded;

  const step: StepResult = {
    id: `${stepId(o.plan)}#${o.run}`,
    run: o.run,
    repeats: null,
    phase: o.plan.phase,
    transport: o.plan.transport,
    tls: o.plan.tls,
    clients: o.plan.clients,
    rate: o.plan.rate,
    padding: o.plan.padding,
    warmupS: o.warmupS,
    durationS: o.durationS,
    status: 'ok',
    limitedBy: limitedBy(attempted, errors),
    error: o.error ?? null,
    window: {
      fromSeq: o.window?.from ?? null,
      toSeq: o.window?.to ?? null,
      quotes,
      seconds: seconds === null ? null : round(seconds),
      plannedSeconds: round(quotes / o.plan.rate),
    },
    connect: {
      attempted,
      connected: connectedCount,
      failed,
      errors,
      ms: percentiles(connectHistogram),
      histogram: encode(connectHistogram),
      sourceAddresses: o.sourceAddresses,
      serverCounted: o.serverCounted ?? null,
    },
    delivery: {
      windowClients,
      expected,
      received,
      lost: expected - received,
      duplicated: reports.reduce((sum, r) => sum + r.duplicated, 0),
      outOfOrder: reports.reduce((sum, r) => sum + r.outOfOrder, 0),
      disconnected: reports.reduce((sum, r) => sum + r.disconnected, 0),
      negativeLatencies: reports.reduce((sum, r) => sum + r.negativeLatencies, 0),
      latencyMs: percentiles(latency),
      latencyClients: timed.reduce((sum, r) => sum + r.clients, 0),
      histogram: encode(latency),
      deliveriesPerSecond: seconds ? Math.round(received / seconds) : null,
    },
    server: {
      // A cluster's nodes are many processes: their pids are in its ready line.
      pid: o.plan.nodes ? null : (o.memory?.loaded.pid ?? o.start?.loaded.pid ?? null),
      loaded,
      idle,
      perConnection: loaded && idle ? perConnection(loaded, idle) : { heapBytes: null, rssBytes: null, externalBytes: null },
      cpuMs: cpuMs === null ? null : round(cpuMs),
      idleCpuMs: idleCpuMs === null ? null : round(idleCpuMs),
      cpuMsPer1kDeliveries: per1k(cpuMs, messagesSent),
      netCpuMsPer1kDeliveries: per1k(cpuMs !== null && idleCpuMs !== null ? cpuMs - idleCpuMs : null, netDeliveries),
      cores: seconds && cpuMs !== null ? round(cpuMs / 1000 / seconds) : null,
      messagesSent,
      bytesWritten,
      bytesPerDelivery: bytesWritten !== null && messagesSent ? round(bytesWritten / messagesSent, 2) : null,
      cpuJudged: messagesSent !== null && messagesSent >= options.cpuMinDeliveries,
      dropped: end?.dropped ?? null,
      refused: end?.refused ?? null,
    },
    generator: {
      workers: o.workers,
      pollMs: o.pollMs,
      probeClients: o.probeClients,
      probeNice: o.probeNice,
      cores: workerCores,
      maxCores,
      clientBound: isClientBound(workerCores, options.clientBoundCores),
      hostCores,
      usPerDelivery: workerCpuMicros !== null && workerQuotes > 0 ? round(workerCpuMicros / workerQuotes, 2) : null,
    },
    proxy: proxyFigures(o, messagesSent, connectedCount),
  };
  step.status = stepStatus(step, options.latencyLimitMs);
  const missing = step.error ? null : missingBeforeWindow(step);
  if (missing) step.limitedBy = step.limitedBy ? `${step.limitedBy}; ${missing}` : missing;
  return step;
}

/** Why a step does not pass, in words; null when it passes. */
export function failReason(step: StepResult, latencyLimitMs: number): string | null {
  const at = step.phase === 'ramp' ? `${step.rate} quotes/s` : `${step.clients} clients`;
  switch (step.status) {
    case 'ok':
      return null;
    case 'failed':
      return `failed at ${at}: ${step.error}`;
    case 'incomplete':
      return `connections at ${at}: ${step.limitedBy}`;
    case 'client-bound':
      return `client-bound at ${at} (generator at ${step.generator.maxCores} cores): a lower bound`;
    case 'loss': {
      const d = step.delivery;
      return `loss at ${at}: ${d.lost} lost, ${d.duplicated} duplicated, ${d.outOfOrder} out of order of ${d.expected}`;
    }
    case 'saturated':
      return (
        `saturated at ${at}: the server published the window in ${step.window.seconds} s instead of ` +
        `${step.window.plannedSeconds} s (${step.delivery.deliveriesPerSecond} deliveries/s of ` +
        `${Math.round(step.rate * step.connect.connected)} asked)`
      );
    case 'slow':
      return `p99 ${step.delivery.latencyMs.p99} ms > ${latencyLimitMs} ms at ${at}`;
  }
}

/**
 * The ramp method of public WebSocket benchmarks, per transport, for the rate ramp (by rate) and the client sweep (by N):
 * the lowest failing step bounds the limit from above, the highest passing step below it is the figure (the ramp doubles,
 * then bisects, so its steps are not in order). The ramp's figure is also given as a ratio to the floor's (the
 * registry's `floor`, raw TCP), but only where it compares transports: both ramps ended at a limit of their server,
 * both plain or both over TLS (a plain run ramps the floor over TLS too when a transport requires TLS: run.ts
 * tlsFloorRamp); otherwise the ratio is null. Each transport's summary is of its steps at its own TLS in the run.
 */
export function summarizeRamps(
  steps: readonly StepResult[],
  transports: readonly Transport[],
  options: Pick<LoadOptions, 'latencyLimitMs' | 'rampClients' | 'tls'>,
): RampSummary[] {
  const highest = (phase: Phase, transport: Transport, tls = usesTls(transport, options.tls)) => {
    const ordered = steps.filter((s) => s.phase === phase && s.transport === transport && s.tls === tls);
    const level = (s: StepResult) => (phase === 'ramp' ? s.rate : s.clients);
    const failing = ordered.filter((s) => failReason(s, options.latencyLimitMs) !== null).sort((a, b) => level(a) - level(b))[0];
    const best = ordered
      .filter((s) => failReason(s, options.latencyLimitMs) === null && (!failing || level(s) < level(failing)))
      .sort((a, b) => level(b) - level(a))[0];
    return {
      best: best ?? null,
      failing: failing ?? null,
      stoppedBy: failing
        ? failReason(failing, options.latencyLimitMs)!
        : ordered.length === 0
          ? 'not run'
          : 'the last step passed: the figure is a lower bound',
      limitFound: failing !== undefined && ['loss', 'slow', 'saturated'].includes(failing.status),
      ids: ordered.map((s) => s.id),
    };
  };
  return transports.map((transport) => {
    const tls = usesTls(transport, options.tls);
    const ramp = highest('ramp', transport);
    const sweep = highest('clients', transport);
    const floor = FLOOR === null ? null : highest('ramp', FLOOR, tls);
    const floorDps = floor?.best?.delivery.deliveriesPerSecond ?? null;
    const dps = ramp.best?.delivery.deliveriesPerSecond ?? null;
    const cores = ramp.best?.server.cores ?? null;
    const comparable = floor?.limitFound === true && ramp.limitFound;
    return {
      transport,
      clients: options.rampClients,
      steps: ramp.ids,
      highestRate: ramp.best?.rate ?? null,
      failedRate: ramp.failing?.rate ?? null,
      highestDeliveriesPerSecond: dps,
      ratioToTcp: dps !== null && floorDps && comparable ? round(dps / floorDps) : null,
      limitFound: ramp.limitFound,
      serverCoresAtHighest: cores,
      deliveriesPerServerCore: dps !== null && cores ? Math.round(dps / cores) : null,
      stoppedBy: ramp.stoppedBy,
      highestClients: sweep.best?.clients ?? null,
      clientsStoppedBy: sweep.stoppedBy,
    };
  });
}

/** Least-squares slope and intercept of y over x; null with fewer than two distinct x. */
export function fitLine(points: readonly [number, number][]): { slope: number; intercept: number } | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  if (sxx === 0) return null;
  const slope = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Per transport, the memory line through its ok client-sweep steps. */
export function summarizeMemory(steps: readonly StepResult[], transports: readonly Transport[]): MemorySummary[] {
  return transports.map((transport) => {
    const ok = steps.filter(
      (s) => s.phase === 'clients' && s.transport === transport && s.status === 'ok' && s.server.loaded && s.server.idle,
    );
    // x = connections beyond the twin's one client, y = heap (RSS) beyond the twin's.
    const heap = fitLine(
      ok.map((s) => [s.server.loaded!.connections - s.server.idle!.connections, s.server.loaded!.heapUsed - s.server.idle!.heapUsed]),
    );
    const rss = fitLine(
      ok.map((s) => [s.server.loaded!.connections - s.server.idle!.connections, s.server.loaded!.rss - s.server.idle!.rss]),
    );
    const per = ok.map((s) => s.server.perConnection.heapBytes).filter((v): v is number => v !== null);
    return {
      transport,
      clients: ok.map((s) => s.clients),
      heapBytesPerConnection: heap ? Math.round(heap.slope) : null,
      rssBytesPerConnection: rss ? Math.round(rss.slope) : null,
      heapFixedBytes: heap ? Math.round(heap.intercept) : null,
      heapPerConnectionRange: per.length ? [Math.min(...per), Math.max(...per)] : null,
    };
  });
}
