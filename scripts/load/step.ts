/**
 * One measured step: N clients of one transport at one rate and payload.
 *
 *  1. Start the server and its twin (same arguments, same moment; --tls on a TLS step) through the
 *     CLI contract, and connect one lean client to the twin (so it keeps the same per-quote encodings).
 *  2. Fork the generator workers (the batched ones and the probe); they open the clients from
 *     ceil(N / clientsPerAddress) 127.0.0.x source addresses, `connectConcurrency` at a time, in rounds (the
 *     batched workers' share of a round, then one probe client), and report connect times/errors.
 *  3. Wait until the server counts the clients. Then, once per run (`repeats`), on the same servers and connections:
 *     fix the window as a range of sequence numbers that starts `warmup` seconds of quotes ahead (the first no earlier
 *     than `settleS` after the servers started), and arm the workers (re-armed further ahead if a quote of the window
 *     was published before every worker was armed);
 *  4. poll /stats of both servers together until the window's start and end (the same number of
 *     reads each); each worker marks its own CPU around its reads of the window (ReportMessage.marks);
 *  5. give clients `drainMs` (and a batched worker its wake just after the last quote is due) to receive the last
 *     quote, collect the tallies (with each worker's CPU marks), then read memory after a forced GC on both servers
 *     while the clients are still connected.
 *  6. Stop workers and servers, also on error or abort.
 *
 * Through nginx (plan.proxy), the loaded server starts with `--proxy <profile>`: the clients connect
 * to nginx, while the twin and the /stats probe reach the servers directly (so the server's figures
 * are read exactly as in a direct step). nginx's processes are read from /proc before the clients
 * connect, at the window's two ends (beside the /stats readings) and with the memory.
 *
 * Against a cluster (plan.nodes), step 1 starts the cluster process instead (cluster-proc.ts): no twin,
 * `settleS` counts from its ready line (it starts its nodes last), the clients connect to the cluster's
 * nginx, the /stats probe reads every node and sums them, and Redis's and the publisher's CPU are read
 * from /proc beside nginx's. Memory is not read (the nodes run without --stats-gc, and there is no twin
 * to subtract).
 */
import { connectLean, type LeanReader } from '../../clients/lean/index.ts';
import { proxyServesTls } from '../../servers/proxy/profiles.ts';
import { speaksHttp2 } from '../../servers/transports.ts';
import type { SpawnedServer } from '../lib/spawn-server.ts';
import { buildStep, type StepObservation, type StepPlan } from './aggregate.ts';
import { summarizeRuns } from './repeats.ts';
import { clusterArgs, readClusterProcs, type SpawnedCluster } from './cluster-proc.ts';
import { readNginx } from './nginx-proc.ts';
import { DUE_WAKE, type LoadOptions, pollInterval, probeClients } from './options.ts';
import type { ConnectedMessage } from './protocol.ts';
import { AbortedError, ClusterProbe, sleep, StatsProbe, type Children, type ProbeReading, type WorkerHandle } from './processes.ts';
import type { StepResult } from './types.ts';

export type StepPhase = 'starting' | 'connecting' | 'warm-up' | 'measuring' | 'draining' | 'collecting';

export interface StepProgress {
  phase: StepPhase;
  /** 0..1 through the whole step. */
  fraction: number;
  detail: string;
}

export interface StepContext {
  options: LoadOptions;
  /** The lab certificate (PEM) that clients and the probe trust on a TLS step. */
  ca: string | null;
  children: Children;
  signal: AbortSignal;
  progress(update: StepProgress): void;
}

/** The server CLI arguments of a step: the same for the loaded server and its idle twin. */
export function serverArgs(
  plan: Pick<StepPlan, 'rate' | 'padding' | 'clients' | 'tls'>,
  options: Pick<LoadOptions, 'seed' | 'heartbeatMs'>,
): string[] {
  return [
    ...(plan.tls ? ['--tls'] : []),
    '--rate',
    String(plan.rate),
    '--padding',
    String(plan.padding),
    '--seed',
    String(options.seed),
    '--heartbeat',
    String(options.heartbeatMs),
    '--max-connections',
    String(Math.max(20_000, plan.clients)),
    '--stats-gc',
  ];
}

/** 127.0.0.1, 127.0.0.2, ... one per `perAddress` clients. */
export function sourceAddresses(clients: number, perAddress: number): string[] {
  return Array.from({ length: Math.max(1, Math.ceil(clients / perAddress)) }, (_, i) => `127.0.0.${i + 1}`);
}

/** Clients per worker: as even as possible, never an empty worker. */
export function splitClients(clients: number, workers: number): number[] {
  const n = Math.max(1, Math.min(workers, clients));
  return Array.from({ length: n }, (_, i) => Math.floor(clients / n) + (i < clients % n ? 1 : 0));
}

/** The probe worker's scheduling priority (nice), where the system permits it. */
const PROBE_NICE = -10;

/** What the step reads /stats with: one server's probe, or a cluster's (its nodes summed). */
type Probe = Pick<StatsProbe, 'read' | 'close'>;

/**
 * Polls /stats of the loaded server and its twin (if any) together until the loaded feed has
 * published `seq`, sleeping until it is about due: both servers answer the same number of /stats
 * reads, so the probe's own cost cancels in the twin subtraction.
 */
async function waitForSeq(
  probes: readonly Probe[],
  seq: number,
  rate: number,
  timeoutMs: number,
  signal: AbortSignal,
  onPoll: (latest: number) => void,
): Promise<ProbeReading[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const readings = await Promise.all(probes.map((p) => p.read()));
    const latest = readings[0]!.snapshot.latestSeq;
    onPoll(latest);
    if (latest >= seq) return readings;
    if (performance.now() > deadline)
      throw new Error(`lab: the server's feed did not reach seq ${seq} within ${Math.round(timeoutMs / 1000)} s (it is at ${latest})`);
    const dueMs = ((seq - latest) / rate) * 1000;
    await sleep(Math.min(Math.max(dueMs - 30, 10), 1000), signal);
  }
}

/** The server's own stream and /stats urls behind nginx: /stats on the upstream's origin, over http(s). */
function behind(proxiedStats: string, upstream: string): { url: string; stats: string } {
  const stats = new URL(new URL(proxiedStats).pathname, upstream);
  stats.protocol = stats.protocol === 'wss:' ? 'https:' : stats.protocol === 'ws:' ? 'http:' : stats.protocol;
  return { url: upstream, stats: stats.href };
}

/** A step's runs, each a StepResult, and their summary (the runs' medians: repeats.ts). */
export async function runStep(plan: StepPlan, ctx: StepContext): Promise<{ summary: StepResult; runs: StepResult[] }> {
  const runs = (await observeStep(plan, ctx, ctx.options.repeats)).map((o) => buildStep(o, ctx.options));
  return { summary: summarizeRuns(runs), runs };
}

/** A step's window length: the ramp's shorter one at its higher rates; a client-sweep one long enough to judge CPU. */
function windowSeconds(plan: Pick<StepPlan, 'phase' | 'clients' | 'rate'>, options: LoadOptions): number {
  if (plan.phase === 'ramp') return options.rampDuration;
  if (plan.phase !== 'clients') return options.duration;
  // Long enough for cpuMinDeliveries where maxDuration allows it: at 1/s, 1,000 clients need 10 s, 5,000 the 4 s
  // default. Where it does not (100 clients), a longer window would not make the step's CPU judged: the default it is.
  const needed = Math.ceil(options.cpuMinDeliveries / (plan.clients * plan.rate));
  return needed <= options.maxDuration ? Math.max(options.duration, needed) : options.duration;
}

/**
 * Measures one step `runs` times, a window each on the same servers and connections, and returns what each run observed
 * (runStep turns them into results). A failure ends the step: the runs so far are kept, the failed one carries `error`.
 */
export async function observeStep(plan: StepPlan, ctx: StepContext, runs = 1): Promise<StepObservation[]> {
  const { options, children, signal } = ctx;
  const addresses = sourceAddresses(plan.clients, options.clientsPerAddress);
  // The probe worker's clients (read as data arrives, timed) and the batched workers' shares of the rest.
  const timed = probeClients(plan.clients, options);
  const shares = splitClients(plan.clients - timed, options.workers);
  const durationS = windowSeconds(plan, options);
  /** What every run shares (the servers, the connections); each run's window is filled in a copy. */
  const session: StepObservation = {
    plan,
    run: 1,
    warmupS: options.warmup,
    durationS,
    sourceAddresses: addresses.length,
    workers: shares.length + (timed ? 1 : 0),
    pollMs: timed ? pollInterval(plan.rate, plan.padding, options) : 0,
    probeClients: timed,
    probeNice: 0,
  };
  const observations: StepObservation[] = [];
  let o = session;
  const servers: SpawnedServer[] = [];
  const clusters: SpawnedCluster[] = [];
  const workers: WorkerHandle[] = [];
  const probes: Probe[] = [];
  let twinReader: LeanReader | null = null;
  const say = (phase: StepPhase, fraction: number, detail: string) =>
    ctx.progress({ phase, fraction: Math.min(1, Math.max(0, fraction)), detail });

  try {
    // The servers' age counts from their spawn; a cluster's from its ready line, since it starts its nodes last.
    let startedAt = performance.now();
    let url: string;
    let probeSharesPort: boolean;
    let clientCa: string | null;
    if (plan.nodes) {
      say('starting', 0, `starting a cluster of ${plan.nodes} node${plan.nodes === 1 ? '' : 's'}, Redis and nginx`);
      const cluster = await children.cluster(plan.transport, clusterArgs(plan, options));
      startedAt = performance.now();
      clusters.push(cluster);
      if (signal.aborted) throw new AbortedError();
      const { ready } = cluster;
      o.cluster = { ready };
      o.nginx = { masterPid: ready.proxy.pid, upstream: ready.nodes.map((n) => n.url).join(' '), idle: readNginx(ready.proxy.pid) };
      probes.push(new ClusterProbe(ready.nodes.map((n) => n.stats)));
      url = ready.url;
      // Each node serves /stats on its stream's port.
      probeSharesPort = true;
      clientCa = null;
    } else {
      say('starting', 0, `starting the server${plan.proxy ? ` behind nginx (${plan.proxy})` : ''} and its twin`);
      const args = serverArgs(plan, options);
      const started = await Promise.allSettled([
        children.server(plan.transport, plan.proxy ? [...args, '--proxy', plan.proxy] : args),
        children.server(plan.transport, args, true),
      ]);
      for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      if (signal.aborted) throw new AbortedError();
      const [loaded, twin] = servers as [SpawnedServer, SpawnedServer];
      // One client on the twin too: a connected client makes a server build and keep each quote's
      // encodings in its replay ring, which a twin without clients would not; (loaded - twin) / (N - 1).
      const ca = plan.tls ? ctx.ca : null;
      twinReader = await connectLean(plan.transport, {
        url: twin.ready.url,
        ca: ca ?? undefined,
        connectTimeoutMs: options.connectTimeoutMs,
        onQuote: () => {},
      });
      // Through nginx, /stats is read from the server itself: nginx's bytes and CPU stay out of the server's figures.
      const proxy = loaded.ready.proxy;
      const direct = proxy ? behind(loaded.ready.stats, proxy.upstream) : loaded.ready;
      if (plan.proxy && !proxy)
        throw new Error(`lab: the ${plan.transport} server started with --proxy printed no proxy in its ready line`);
      if (proxy) o.nginx = { masterPid: proxy.pid, upstream: proxy.upstream, idle: readNginx(proxy.pid) };
      const probeOptions = { ca: ca ?? undefined, http2: speaksHttp2(plan.transport) };
      probes.push(new StatsProbe(direct.stats, probeOptions), new StatsProbe(twin.ready.stats, probeOptions));
      url = loaded.ready.url;
      // The floor serves /stats on a side port whose bytes the server does not count; the others share the stream's port.
      probeSharesPort = new URL(direct.stats).port === new URL(direct.url).port;
      // The clients trust the lab certificate when the server, or nginx in front of it (h2 profile), serves TLS.
      clientCa = plan.proxy && proxyServesTls(plan.proxy) ? ctx.ca : ca;
    }
    const probe = probes[0]!;
    const twinProbe = probes[1];

    // Connect, in rounds: the batched workers open their share of a round, then the probe one client, so the probe's
    // clients are spread through the server's connection order (the order its fan-out writes them in).
    const progress = [...shares, ...(timed ? [timed] : [])].map(() => ({ connected: 0, failed: 0 }));
    const showConnect = () => {
      const connected = progress.reduce((sum, p) => sum + p.connected, 0);
      const failed = progress.reduce((sum, p) => sum + p.failed, 0);
      say(
        'connecting',
        (0.3 * (connected + failed)) / plan.clients,
        `${connected}/${plan.clients} connected${failed ? `, ${failed} failed` : ''}`,
      );
    };
    for (const i of progress.keys()) {
      const worker = children.worker(i === shares.length ? PROBE_NICE : 0);
      if (i === shares.length) session.probeNice = worker.nice;
      workers.push(worker);
      worker.onProgress = (connected, failed) => {
        progress[i] = { connected, failed };
        showConnect();
      };
    }
    const rounds = Math.max(1, timed);
    const roundShares = shares.map((share) => splitClients(share, rounds));
    const connect = { transport: plan.transport, url, ca: clientCa, addresses, concurrency: options.connectConcurrency };
    const connectBudget = (count: number) => options.connectTimeoutMs * Math.ceil(count / options.connectConcurrency) + 30_000;
    let offset = 0;
    const lastConnected: ConnectedMessage[] = [];
    /** Worker i opens `count` more clients (its offset taken before the first await, so offsets follow the call order). */
    const open = async (i: number, count: number) => {
      if (count === 0) return;
      const pollMs = i < shares.length ? session.pollMs : 0;
      workers[i]!.send({ type: 'connect', ...connect, count, offset, timeoutMs: options.connectTimeoutMs, pollMs });
      offset += count;
      lastConnected[i] = await workers[i]!.next('connected', connectBudget(count), signal);
    };
    for (let round = 0; round < rounds; round++) {
      await Promise.all(roundShares.map((r, i) => open(i, r[round] ?? 0)));
      if (timed) await open(shares.length, 1);
    }
    o.connected = lastConnected;
    const connected = o.connected.reduce((sum, c) => sum + c.connected, 0);
    for (const [i, c] of o.connected.entries()) progress[i] = { connected: c.connected, failed: c.failed };
    showConnect();
    if (connected === 0) throw new Error(`lab: no client connected (${JSON.stringify(o.connected.map((c) => c.errors))})`);

    // The server should count every client before the window; wait a bounded while for stragglers.
    const countedBy = performance.now() + 5000;
    let counted = (await probe.read()).snapshot.connections;
    while (counted < connected && performance.now() < countedBy) {
      await sleep(100, signal);
      counted = (await probe.read()).snapshot.connections;
    }
    o.serverCounted = counted;

    // The step's runs: one window each, on the same servers and connections; each arms the workers ahead of the feed
    // (re-armed further ahead if a worker was armed too late) and reads every figure again.
    const quotes = Math.max(1, Math.round(durationS * plan.rate));
    for (let run = 1; run <= runs; run++) {
      o = { ...session, run, nginx: session.nginx && { ...session.nginx }, cluster: session.cluster && { ...session.cluster } };
      observations.push(o);
      const label = runs > 1 ? ` (run ${run} of ${runs})` : '';
      let armedAt = 0;
      for (let attempt = 0; ; attempt++) {
        const latest = (await probe.read()).snapshot.latestSeq;
        // The first window opens no earlier than settleS after the servers started (past their start-up CPU).
        const settleLeft = Math.max(0, options.settleS - (performance.now() - startedAt) / 1000);
        // A first arm reaches a worker that reads at once (it polls from `window` to `collect`); a re-arm, one that is
        // already polling, up to a poll late.
        const retry = Math.ceil(plan.rate * (0.25 * (attempt + 1) + (attempt > 0 ? session.pollMs / 1000 : 0)));
        const lead = Math.max(1, Math.ceil(Math.max(options.warmup, settleLeft) * plan.rate), retry);
        const from = latest + lead + 1;
        o.window = { from, to: from + quotes - 1 };
        for (const worker of workers) worker.send({ type: 'window', ...o.window, rate: plan.rate });
        await Promise.all(workers.map((w) => w.next('armed', session.pollMs + 10_000, signal)));
        armedAt = (await probe.read()).snapshot.latestSeq;
        if (armedAt < from) break;
        if (attempt === 3) throw new Error('lab: could not arm the workers before the window opened');
      }
      const { from, to } = o.window;
      const share = (part: number) => 0.3 + (0.65 * (run - 1 + part)) / runs;

      const warmupStart = armedAt;
      const [startReading, twinStart] = await waitForSeq(
        probes,
        from - 1,
        plan.rate,
        ((from - armedAt) / plan.rate) * 2000 + 10_000,
        signal,
        (latest) =>
          say(
            'warm-up',
            share((0.15 * (latest - warmupStart)) / Math.max(1, from - 1 - warmupStart)),
            `window opens at seq ${from}${label}`,
          ),
      );
      if (o.nginx) o.nginx.start = readNginx(o.nginx.masterPid);
      if (o.cluster) o.cluster.start = readClusterProcs(o.cluster.ready);
      o.start = { loaded: startReading!.snapshot, twin: twinStart?.snapshot, wallMs: startReading!.wallMs };

      const [endReading, twinEnd] = await waitForSeq(probes, to, plan.rate, (quotes / plan.rate) * 2000 + 10_000, signal, (latest) =>
        say(
          'measuring',
          share(0.15 + (0.75 * Math.max(0, latest - from + 1)) / quotes),
          `seq ${Math.max(from, latest)} of ${from}..${to}${label}`,
        ),
      );
      if (o.nginx) o.nginx.end = readNginx(o.nginx.masterPid);
      if (o.cluster) o.cluster.end = readClusterProcs(o.cluster.ready);
      o.end = { loaded: endReading!.snapshot, twin: twinEnd?.snapshot, wallMs: endReading!.wallMs };
      o.probeBytes = probeSharesPort ? endReading!.bytesBefore - startReading!.bytesBefore : 0;

      // Drain: each worker says `complete` once all its clients saw seq `to`; what is missing after drainMs is lost (a
      // batched worker wakes DUE_WAKE.marginMs after `to` is due, then every DUE_WAKE.afterMs).
      const drainMs = options.drainMs + (session.pollMs ? DUE_WAKE.marginMs + DUE_WAKE.afterMs : 0);
      say('draining', share(0.92), `up to ${drainMs} ms for the last quote${label}`);
      await Promise.all(
        workers.map((w) =>
          w.next('complete', drainMs, signal).catch((error: Error) => {
            if (error instanceof AbortedError) throw error;
          }),
        ),
      );

      say('collecting', share(0.95), `${twinProbe ? 'tallies and memory after forced GC' : 'tallies'}${label}`);
      for (const worker of workers) worker.send({ type: 'collect' });
      o.reports = await Promise.all(workers.map((w) => w.next('report', 30_000, signal)));
      // One forced GC each (a server allows one such request a second; the runs' windows are seconds apart).
      if (twinProbe) o.memory = { loaded: (await probe.read(true)).snapshot, twin: (await twinProbe.read(true)).snapshot };
      if (o.nginx) o.nginx.loaded = readNginx(o.nginx.masterPid);
    }
  } catch (error) {
    if (signal.aborted || error instanceof AbortedError) throw new AbortedError();
    o.error = (error as Error).message;
    if (observations.length === 0) observations.push(o);
  } finally {
    twinReader?.close();
    for (const probe of probes) probe.close();
    await Promise.all([
      ...workers.map((w) => children.stopWorker(w)),
      ...servers.map((s) => children.stopServer(s)),
      ...clusters.map((c) => children.stopCluster(c)),
    ]);
  }
  say('collecting', 1, 'done');
  return observations;
}
