/**
 * The load runner's programmatic API: runLoad(options) -> LoadResults (results/load.json; with
 * --tls, results/load-tls.json).
 *
 * METHOD
 * - Processes: every step starts the transport's server in its own process through the CLI
 *   contract (scripts/spawn-server.ts, node --expose-gc), plus a twin with the same arguments
 *   holding one lean client; the load comes from separate generator worker processes (worker.ts)
 *   using lean readers (clients/lean/). The raw-TCP floor is measured the same way in the same
 *   run. Servers without V8's memory reducer (its one-off collection ~15 s after start would land in one window).
 * - Cores: the server side (server, its nginx, a cluster) on the last core, the client side (workers, the twin, the
 *   runner) on the others, through taskset (pinning.ts); recorded in `pinning`, nothing pinned where it cannot be.
 * - Repeats: each step runs `repeats` times (3 in full), a window each on the same servers and connections; its
 *   summary's figures are the runs' medians with min and max (repeats.ts), every run kept in `runs`.
 * - Steps: the client sweep (N = 100, 1k, 5k, 10k at `rate` quotes/s; --quick: 100, 1k), then a
 *   payload sweep (pad 64 B, 1 KiB, 16 KiB at fixed N), then a rate ramp at fixed N (rate doubling
 *   until a step fails, or halving while the first rate fails, then bisecting between the last pass
 *   and the first failure), then upstream round trips. Transports are interleaved at each N.
 * - Window: after connecting, a warm-up (and at least `settleS` after the servers started, past a
 *   fresh server's one-off start-up CPU), then a window fixed as a range of sequence numbers;
 *   every client open at the window counts that range: received, lost, duplicated, out of order
 *   (must all be clean); a client gone before the window makes the step incomplete.
 *   Latency = receive time - quote.ts (one host clock), first receipt only, in HDR histograms, of
 *   the probe's clients (read as data arrives; the batched workers' receive times are a poll late).
 * - Server figures: memory per connection = (loaded - twin) / (N - 1), both read after a forced
 *   GC at the same moment with the clients connected (the twin's one client makes it build and
 *   keep the same per-quote encodings in its replay ring); CPU per 1,000 deliveries and bytes on
 *   the wire per delivery from /stats deltas over the window (the runner's own /stats answers
 *   taken out of the bytes; both servers are polled together, the same number of times, and the
 *   twin's CPU over the window, kept in the result, gives the delivery cost alone).
 * - Generator: batched workers read every client in polls (several quotes a read) and a probe
 *   worker reads a few as data arrives (worker.ts); each worker's CPU between its marks around its reads of the window,
 *   also per quote read between them (the lean readers are not of equal weight); a worker at about
 *   a full core marks the step client-bound, and such steps are kept but excluded from the ramps
 *   and the verdict.
 * - Fairness: the feed publishes one quote per macrotask, so no transport coalesces quotes into
 *   one write (no server-side batching); heartbeats are set to 1 h so liveness traffic stays out
 *   of every window alike.
 * - Limits: clients spread over 127.0.0.x source addresses (1,000 per address by default); Node
 *   raises its soft RLIMIT_NOFILE to the hard limit, which is then the ceiling; a step that cannot
 *   connect every client says which error codes stopped it, and larger N of that transport are
 *   skipped.
 * - Invalidates a step: any client not connected or gone before the window, loss, client-bound,
 *   saturated (the feed fell behind its schedule), p99 over the limit.
 * - Upstream: by the transport's upstream capability (capabilities.ts): autocannon for a POST over
 *   HTTP/1.1, node:http2 sessions in closed loops for a POST over HTTP/2 (autocannon speaks HTTP/1.1
 *   only), the lean readers' own pings in closed loops for a message or an ack on the connection.
 * - TLS: --tls puts every transport on TLS (https, wss, socket.io over https, TLS for the floor),
 *   clients and the /stats probe trusting the lab certificate; a transport that requires TLS
 *   (sse-h2) runs over it in a plain run too. Every step and upstream result records `tls`.
 * - Through nginx (--proxy <profile>): every step of a transport nginx can front runs twice in a
 *   row, directly and then through nginx (the same plan, a fresh server pair each), so the
 *   latency nginx adds is this session's difference; nginx's own memory (its workers' RSS with the
 *   clients connected minus before, per client: two connections at nginx) and CPU (utime + stime over the window) come from /proc. The
 *   others (HTTP/2, the TCP floor) run directly only and the results say why; steps above what
 *   nginx's worker_connections allow (two per client) run directly only, skipped through nginx.
 * - Bounded: every wait has a deadline; children are stopped after each step, on error and on
 *   abort (Ctrl-C, SIGTERM, SIGHUP), and SIGKILLed if the runner exits with any alive.
 */
import { DEFAULT_MAX_VERSION } from 'node:tls';
import { nginxFileBudget, profileText, proxiable, proxyServesTls, whyNotProxiable } from '../../servers/proxy/profiles.ts';
import { labCertificate } from '../../servers/tls.ts';
import { UPSTREAM_TRANSPORTS, type Transport } from '../../servers/transports.ts';
import { writeClaims } from '../lib/claims.ts';
import { writeJson } from '../lib/json.ts';
import { runMetadata } from '../lib/metadata.ts';
import { failReason, summarizeMemory, summarizeRamps, withDirect, type StepPlan } from './aggregate.ts';
import { FLOOR, usesTls } from './capabilities.ts';
import { checkFigures } from './consistency.ts';
import { ephemeralPorts, nofile, somaxconn } from './limits.ts';
import { proxyClientCap } from './nginx-proc.ts';
import { rampRates, type LoadOptions, type Profile } from './options.ts';
import { type Pinning, planPinning } from './pinning.ts';
import { AbortedError, Children } from './processes.ts';
import { summarizeUpstream } from './repeats.ts';
import { runStep, type StepProgress } from './step.ts';
import type { LoadResults, ProxyRun, SkippedStep, StepResult, UpstreamResult } from './types.ts';
import { runUpstream } from './upstream.ts';
import { wsHeavierThanSse } from './verdict.ts';

export const METHOD = [
  'Each transport server runs in its own process via the CLI contract (node --expose-gc --no-memory-reducer), with a twin ' +
    'started with the same arguments and holding one lean client; load comes from separate worker processes using lean ' +
    'readers; the raw-TCP floor is measured the same way in the same run.',
  'Cores (pinning): the server side (the server, the nginx it starts, a cluster) runs on the last core and the client side ' +
    '(generator workers, the twin, the runner) on the others, through taskset, so the two never compete for one core; the ' +
    'pinning is recorded, and with one core or no taskset nothing is pinned and the results say so.',
  'Repeats: every step runs `repeats` times (3 in the full profile; the quick and tiny profiles run once and say so), each ' +
    "run a window of its own on the same servers and connections; a step's figures are its runs' medians, with each " +
    "figure's values, min and max kept, and its status the median status. Every run is kept (runs[]).",
  'Checks: the runner flags a transport cheaper per delivery than the raw-TCP floor beyond both spreads, a window with ' +
    'fewer than cpuMinDeliveries deliveries (its CPU figures left out of CPU charts and the verdict), and a generator that ' +
    "spent more than half the server's CPU per delivery where it could have set the pace (a ramp step, or a worker at half " +
    'a core or more).',
  "Per step: connect N clients (spread over 127.0.0.x source addresses), warm up (the first run's window opens no earlier " +
    'than settleS after the servers started), then count a window fixed as a range of sequence numbers on every client open at the ' +
    'window: expected, received, lost, duplicated, out of order. Clients gone before the window make the step incomplete.',
  'Latency = receive time - quote.ts on one host clock, first receipt of each (client, seq), recorded in HDR histograms ' +
    '(microseconds, encoded so runs can be merged).',
  'Server memory per connection = (loaded server - twin) / (N - 1), both read from /stats?gc=1 at the same moment after a ' +
    "forced GC with the clients connected; the twin's one client makes it keep the same per-quote encodings in its replay ring.",
  "Server CPU per 1,000 deliveries and bytes on the wire per delivery come from /stats deltas over the window; the runner's " +
    "own /stats answers are taken out of the bytes (counted on the probe's TCP socket, under any TLS); both servers are " +
    "polled together the same number of times, and net CPU subtracts the twin's CPU (recorded per step as idleCpuMs) over " +
    "the same window, per delivery beyond the twin's.",
  'A generator worker at or above clientBoundCores over the window marks the step client-bound; such steps are excluded ' +
    "from the ramps and the verdict. The generator's CPU per delivery is recorded per step, since the lean readers differ in weight.",
  'Generator: batched workers read every client and check every quote (loss, duplicates, order), but while a window is ' +
    'armed they sleep between polls (pollQuotes / rate seconds, 50 ms to 16 s, waking for the last quote of the window ' +
    'when it is due), so one read takes several quotes: a read ' +
    "costs about what the server's write of a delivery does, and reading each quote as it arrives would make the generator, " +
    'not the server, the side that saturates first. Latency comes from a probe worker that reads a share of the clients ' +
    '(probeShare, 5 to 50 clients) as data arrives, at a higher scheduling priority where the system allows it, its clients ' +
    "connected one by one between the batched workers' rounds so they are spread through the server's connection order.",
  'No batching on any transport: the feed publishes one quote per macrotask, so each quote leaves as its own write on every ' +
    'connection. Heartbeats are set to heartbeatMs (1 h by default) for every transport, keeping liveness traffic out of the windows.',
  'Ramp: rate doubles at fixed N until a step fails (p99 over latencyLimitMs, loss, saturated, client-bound, connection ' +
    'errors), or halves from the first rate while it fails, then rampRefine steps bisect between the last pass and the ' +
    'first failure; the highest passing deliveries/s below the lowest failure is reported, per server core too, with its ' +
    'ratio to the TCP floor only when both ramps ended at a server limit (loss, slow or saturated) and both ran plain or ' +
    'both over TLS (a plain run whose transports include one that requires TLS also ramps the floor over TLS, as its ' +
    'yardstick). The client sweep reports its highest passing N the same way.',
  'Upstream, at the same concurrency and duration against servers with the feed stopped (rate 0), by the upstream ' +
    'capability: autocannon drives POST /sse/ping over HTTP/1.1 keep-alive connections; over HTTP/2 (sse-h2; autocannon ' +
    'speaks HTTP/1.1 only) each connection is a node:http2 session running a closed loop of POST /sse/ping; ws ping/pong ' +
    'messages and socket.io acks run as closed loops on the lean readers.',
  'TLS: with --tls every transport runs over TLS with the lab certificate (https, wss, socket.io over https, TLS around the ' +
    "floor's NDJSON; clients and the /stats probe trust the certificate; every client makes a full handshake). A transport " +
    'that requires TLS (sse-h2) runs over it either way, and every step and upstream result records tls, so a TLS figure is ' +
    'never read as a plain one. Plain and TLS are separate runs of the same method (results/load.json, results/load-tls.json).',
];

/** What a --proxy run adds to the method. */
export const PROXY_METHOD = [
  'Through nginx (--proxy <profile>, servers/proxy/profiles/): every step of a transport nginx can front runs twice in a ' +
    'row, directly and then through nginx, each with a fresh server pair; the latency nginx adds is the proxied step minus ' +
    "the direct one, p50 and p99, in the same session. The server's figures are read as in a direct step (/stats straight " +
    "from the server, the twin direct). nginx's memory per client = its workers' VmRSS with the clients connected minus " +
    'before any connected, per client, not per connection: each client is two connections at nginx, its own and the ' +
    'upstream one; its CPU per delivery = utime + stime of master and workers over the window (/proc/<pid>/stat, clock ' +
    'ticks) per quote the server delivered. Transports nginx cannot front (HTTP/2 upstream, raw TCP) run directly only; ' +
    'the claim, ramps and memory lines come from the direct steps only. With the h2 profile the clients speak TLS to nginx ' +
    '(the lean readers offer no ALPN, so HTTP/1.1 over TLS) and nginx plain HTTP/1.1 to the server. Each pair is one run, ' +
    'not repeated.',
];

export interface RunHooks {
  /** Aborting ends the run after stopping every child; the steps so far are kept (results.aborted). */
  signal?: AbortSignal;
  profile?: Profile;
  /** Where the server side and the client side run; default planPinning() (a caller that pinned itself plans first). */
  pinning?: Pinning;
  onProgress?(label: string, progress: StepProgress): void;
  onResult?(label: string, result: StepResult | UpstreamResult): void;
}

/** The run-level facts of a --proxy run: the profile's config, what runs directly only, the client cap. */
export async function proxyRun(options: LoadOptions): Promise<ProxyRun> {
  const profile = options.proxy!;
  const { files, workerConnections } = nginxFileBudget();
  const clientCap = proxyClientCap(workerConnections);
  return {
    kind: 'nginx',
    profile,
    config: await profileText(profile),
    directOnly: options.transports.filter((t) => !proxiable(t)).map((transport) => ({ transport, reason: whyNotProxiable(transport) })),
    clientCap,
    clientCapNote:
      `each proxied client is two of nginx's worker_connections (its connection and the upstream one); with ` +
      `worker_connections ${workerConnections} (worker_rlimit_nofile ${files}, from the hard RLIMIT_NOFILE: ` +
      `servers/proxy/nginx.ts) one step takes at most ${clientCap} clients through nginx`,
  };
}

export function stepLabel(plan: StepPlan): string {
  const what =
    plan.phase === 'clients'
      ? `n=${plan.clients}`
      : plan.phase === 'payload'
        ? `n=${plan.clients} pad=${plan.padding}`
        : `n=${plan.clients} rate=${plan.rate}`;
  const via = plan.nodes ? ` cluster of ${plan.nodes}` : plan.proxy ? ` nginx ${plan.proxy}` : '';
  return `${plan.phase} ${plan.transport} ${what}${plan.tls ? ' tls' : ''}${via}`;
}

export async function runLoad(options: LoadOptions, hooks: RunHooks = {}): Promise<LoadResults> {
  const started = performance.now();
  const signal = hooks.signal ?? new AbortController().signal;
  const meta = runMetadata();
  const pinning = hooks.pinning ?? planPinning();
  const children = new Children(pinning);
  const steps: StepResult[] = [];
  const runs: StepResult[] = [];
  const skipped: SkippedStep[] = [];
  const upstream: UpstreamResult[] = [];
  let aborted = false;
  // The lab certificate the clients trust, read (made on first use) only if some step runs over TLS.
  const anyTls = options.transports.some((t) => usesTls(t, options.tls));
  const proxy = options.proxy ? await proxyRun(options) : null;
  const ca = anyTls || (options.proxy && proxyServesTls(options.proxy)) ? (await labCertificate()).cert : null;
  const plan = (
    phase: StepPlan['phase'],
    transport: Transport,
    clients: number,
    rate: number,
    padding: number,
    tls = usesTls(transport, options.tls),
  ): StepPlan => ({
    phase,
    transport,
    tls,
    clients,
    rate,
    padding,
    proxy: null,
  });

  type Measured = Awaited<ReturnType<typeof runStep>>;
  /** One step, its runs and their summary; a proxied one is paired with its direct measurement, run by run. */
  const measure = async (plan: StepPlan, direct?: Measured): Promise<Measured> => {
    const label = stepLabel(plan);
    const measured = await runStep(plan, { options, ca, children, signal, progress: (p) => hooks.onProgress?.(label, p) });
    const paired = {
      summary: withDirect(measured.summary, direct?.summary),
      runs: measured.runs.map((r, i) => withDirect(r, direct?.runs[i])),
    };
    steps.push(paired.summary);
    runs.push(...paired.runs);
    hooks.onResult?.(label, paired.summary);
    return paired;
  };
  // With --proxy, a step nginx can front runs directly, then through nginx; the proxied result decides what follows.
  const step = async (plan: StepPlan): Promise<StepResult> => {
    const direct = await measure(plan);
    if (!proxy || !proxiable(plan.transport)) return direct.summary;
    if (plan.clients > proxy.clientCap) {
      const { phase, transport, clients, rate } = plan;
      skipped.push({ phase, transport, clients, rate, reason: `through nginx: ${proxy.clientCapNote}; measured directly only` });
      return direct.summary;
    }
    return (await measure({ ...plan, proxy: proxy.profile }, direct)).summary;
  };
  /**
   * The rate ramp at fixed N: the rate doubles until a step fails, then `rampRefine` steps bisect between the highest
   * passing rate and the first failing one. When the first rate already fails, it halves until one passes (down to 1 quote/s).
   */
  const ramp = async (transport: Transport, clients: number, tls?: boolean): Promise<void> => {
    /** The status of a failing step at `rate`; null when it passed. */
    const failure = async (rate: number): Promise<StepResult['status'] | null> => {
      const result = await step(plan('ramp', transport, clients, rate, 0, tls));
      return failReason(result, options.latencyLimitMs) === null ? null : result.status;
    };
    const fails = async (rate: number) => (await failure(rate)) !== null;
    let passed: number | null = null;
    let failed: number | null = null;
    let firstFailure: StepResult['status'] | null = null;
    for (const rate of rampRates(options)) {
      firstFailure = await failure(rate);
      if (firstFailure) {
        failed = rate;
        break;
      }
      passed = rate;
    }
    // Halving helps only where the rate was what failed (not a connection cap or an error, which a lower rate meets too).
    const rateBound = firstFailure === 'slow' || firstFailure === 'loss' || firstFailure === 'saturated' || firstFailure === 'client-bound';
    for (let rate = Math.floor((failed ?? 0) / 2); rateBound && passed === null && rate >= 1; rate = Math.floor(rate / 2)) {
      if (await fails(rate)) failed = rate;
      else passed = rate;
    }
    if (passed === null || failed === null) return;
    for (let k = 0; k < options.rampRefine; k++) {
      const rate = Math.round((passed + failed) / 2);
      if (rate <= passed || rate >= failed) break;
      if (await fails(rate)) failed = rate;
      else passed = rate;
    }
  };

  try {
    // Client sweep, transports interleaved at each N; a transport that could not connect every
    // client at some N skips the larger ones (they would meet the same limit).
    const stopped = new Map<string, string>();
    for (const clients of options.clients) {
      for (const transport of options.transports) {
        const reason = stopped.get(transport);
        if (reason) {
          skipped.push({ phase: 'clients', transport, clients, rate: options.rate, reason });
          continue;
        }
        const result = await step(plan('clients', transport, clients, options.rate, 0));
        if (result.status === 'incomplete' || result.status === 'failed')
          stopped.set(transport, `skipped after ${result.id}: ${failReason(result, options.latencyLimitMs)}`);
      }
    }
    for (const padding of options.payload) {
      for (const transport of options.transports)
        await step(plan('payload', transport, options.payloadClients, options.payloadRate, padding));
    }
    if (options.rampClients !== null) {
      for (const transport of options.transports) await ramp(transport, options.rampClients);
      // A transport that runs over TLS in a plain run (sse-h2) is compared with the floor over TLS: its ramp again.
      if (tlsFloorRamp(options)) await ramp(FLOOR!, options.rampClients, true);
    }
    if (options.upstreamConnections !== null) {
      for (const transport of UPSTREAM_TRANSPORTS.filter((t) => options.transports.includes(t))) {
        const label = `upstream ${transport} c=${options.upstreamConnections}${usesTls(transport, options.tls) ? ' tls' : ''}`;
        hooks.onProgress?.(label, { phase: 'measuring', fraction: 0.5, detail: `${options.upstreamDuration} s of round trips` });
        const measured: UpstreamResult[] = [];
        for (let run = 0; run < options.repeats; run++) measured.push(await runUpstream(transport, { options, ca, children, signal }));
        const result = summarizeUpstream(measured);
        upstream.push(result);
        hooks.onResult?.(label, result);
      }
    }
  } catch (error) {
    if (!(error instanceof AbortedError)) throw error;
    aborted = true;
  } finally {
    await children.stopAll();
    children.dispose();
  }

  // Verdict, ramps and memory lines from the direct steps: a proxied step measures the server behind nginx.
  const direct = steps.filter((s) => s.proxy === null);
  const claim = wsHeavierThanSse(direct, options.verdictMargin);
  const results: LoadResults = {
    kind: 'load',
    schema: 3,
    meta,
    method: proxy ? [...METHOD, ...PROXY_METHOD] : METHOD,
    profile: hooks.profile ?? 'custom',
    options,
    environment: loadEnvironment(anyTls),
    steps,
    runs,
    pinning,
    checks: checkFigures(steps),
    skipped,
    ramp: summarizeRamps(direct, options.transports, options),
    memory: summarizeMemory(direct, options.transports),
    upstream,
    claim,
    proxy,
    aborted,
    elapsedS: Math.round((performance.now() - started) / 100) / 10,
  };
  if (options.out) await writeJson(options.out, results);
  if (options.claims && !aborted) await writeClaims([claim], options.claims);
  return results;
}

/** The machine's limits and how the load was generated, as every load results file records them. */
export function loadEnvironment(anyTls: boolean): LoadResults['environment'] {
  return {
    nofile: nofile(),
    ephemeralPorts: ephemeralPorts(),
    somaxconn: somaxconn(),
    batching: 'none',
    batchingNote:
      'The feed publishes one quote per macrotask (servers/feed.ts), so every transport writes each quote on its own: ' +
      'no res.write coalescing for SSE, no send batching for ws, socket.io or TCP.',
    readers:
      'clients/lean/: node:http(s) SSE reader framed by eventsource-parser, ws WebSocket, engine.io/socket.io protocol over ws ' +
      '(transport=websocket), node:net (node:tls) NDJSON, node:http2 SSE reader (one session per client); upstream: ' +
      "autocannon (HTTP/1.1), node:http2 sessions (HTTP/2), the readers' own pings",
    tls: anyTls
      ? "The lab's self-signed EC P-256 certificate (servers/tls.ts), trusted by every client and the /stats probe; Node's " +
        `defaults on both ends (${DEFAULT_MAX_VERSION} at most); every client makes a full handshake (no session resumption), ` +
        'as separate browsers would. Bytes on the wire include TLS records and handshakes.'
      : null,
  };
}

/** Whether a plain run ramps the floor over TLS as well: some transport of the run requires TLS and the floor is in it. */
export function tlsFloorRamp(options: Pick<LoadOptions, 'transports' | 'tls'>): boolean {
  return FLOOR !== null && !options.tls && options.transports.includes(FLOOR) && options.transports.some((t) => usesTls(t, options.tls));
}
