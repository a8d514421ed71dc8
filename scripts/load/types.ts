/**
 * The schema of results/load.json, field by field. The report generator reads these types and
 * the test asserts a run's result has the shape of test/fixtures/example-load.json. Every field
 * is always present; `null` means "not applicable" or "could not be measured", never zero.
 *
 * Units: times in ms unless a name says otherwise, memory and bytes in bytes, CPU in ms of CPU
 * time (user + system), rates per second of wall time. Histograms are HDR histograms
 * (hdr-histogram-js, 32-bit buckets, 3 significant digits) of MICROseconds, encoded with
 * encodeIntoCompressedBase64, so runs can be merged: decode, add, read percentiles.
 *
 * Plain and TLS: one file is one run. `npm run load` writes results/load.json with every transport
 * plain except those that require TLS (sse-h2), whose steps say `tls: true`; `npm run load -- --tls`
 * writes results/load-tls.json, every transport over TLS, with the same schema. The lab runs both
 * (the TLS pass at 1,000 clients, client sweep only), and the report sets the two side by side per
 * transport at the N both measured: the cost of TLS per connection (memory) and per delivery (CPU,
 * bytes). Step and upstream ids end in `-tls` for a TLS measurement, so ids stay unique across both.
 *
 * Schema 2 added `tls` to the options, every step and every upstream result, and `environment.tls`;
 * a schema 1 file (no `tls` anywhere) was all plain. Schema 3 added repeated runs (`runs`, each step's `run` and
 * `repeats`: a step's figures are its runs' medians), `pinning`, `checks`, `server.cpuJudged` and the ramp's
 * `deliveriesPerServerCore`.
 *
 * Through nginx: `npm run load -- --proxy <profile>` writes results/load-proxy.json: every step of a
 * transport nginx can front twice, direct and then through nginx (`proxy` not null, id ending in
 * `-nginx-<profile>`), and the others direct only (`proxy.directOnly` says why). Steps measured
 * directly have `proxy: null`; a run without --proxy has `proxy: null` at the top.
 *
 * Scaled out: `npm run load -- --nodes N` writes results/load-cluster.json, a ClusterLoadResults (kind `load-cluster`):
 * the same StepResults (one server behind nginx, a cluster of 1 node, a cluster of N; a cluster step's id ends in
 * `-cluster<N>`, its `server` figures are its nodes' summed, `server.pid` and the memory figures are null) and, per
 * transport, a comparison of the three with every process's CPU per delivery and what the bus adds.
 */
import type { ProxyProfile } from '../../servers/proxy/profiles.ts';
import type { Transport, UpstreamTransport } from '../../servers/transports.ts';
import type { ClaimResult } from '../lib/claims.ts';
import type { RunMetadata } from '../lib/metadata.ts';
import type { ClusterLoadOptions, LoadOptions } from './options.ts';
import type { Pinning } from './pinning.ts';

/** Summary of one HDR histogram, in ms (3 decimals); all `null` when it holds no samples. */
export interface Percentiles {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** clients: the sweep over N; payload: the pad-size sweep at fixed N; ramp: rising rate at fixed N. */
export type Phase = 'clients' | 'payload' | 'ramp';

/**
 * One word per step, first match wins:
 * - `failed`: the step could not run (a server did not start, a deadline passed); see `error`.
 * - `incomplete`: some clients never connected; `limitedBy` says what stopped them.
 * - `client-bound`: the generator was the bottleneck; figures kept, excluded from verdicts and ramps.
 * - `loss`: quotes lost, duplicated or out of order.
 * - `saturated`: the server took more than 10% (+0.1 s) longer than planned to publish the
 *   window's quotes: it could not keep up with the rate asked.
 * - `slow`: delivery p99 above `latencyLimitMs`.
 * - `ok`: every client connected, every quote arrived once and in order, p99 within the limit.
 */
export type StepStatus = 'failed' | 'incomplete' | 'client-bound' | 'loss' | 'saturated' | 'slow' | 'ok';

/** A server's memory after a forced GC (GET /stats?gc=1; the CLI runs node with --expose-gc). */
export interface MemorySample {
  /** Clients the server counted as connected at that moment. */
  connections: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Whether the GC actually ran (false would mean the server lacked --expose-gc). */
  gc: boolean;
}

export interface StepResult {
  /**
   * Record id, cited by claims: `load/<phase>/<transport>/n<clients>-r<rate>-p<padding>`, plus `-tls` over TLS; a run of
   * the step (in `runs`) adds `#<run>`.
   */
  id: string;
  /** Which run of its step this is, 1.. (results.runs); `null` for a step's summary (results.steps). */
  run: number | null;
  /**
   * A step's summary: how many runs it took and each figure's spread over them; `null` for a run. A summary's figures
   * are its runs' medians (repeats.ts).
   */
  repeats: Repeats | null;
  phase: Phase;
  transport: Transport;
  /** Server and clients spoke TLS (the run's `tls` option, or a transport that requires it). */
  tls: boolean;
  /** Clients asked for. */
  clients: number;
  /** Feed rate, quotes/s (the server's --rate). */
  rate: number;
  /** Pad bytes per quote (the server's --padding). */
  padding: number;
  /** Planned warm-up and window, seconds. */
  warmupS: number;
  durationS: number;
  status: StepStatus;
  /** What stopped or limited the step, in words with the error codes seen; `null` when nothing did. */
  limitedBy: string | null;
  /** The failure of a `failed` step; `null` otherwise. */
  error: string | null;

  /** The measured window, defined by sequence numbers so every client counts the same quotes. */
  window: {
    /** First and last seq counted. */
    fromSeq: number | null;
    toSeq: number | null;
    /** toSeq - fromSeq + 1. */
    quotes: number;
    /** Wall time from the server publishing seq fromSeq - 1 to publishing toSeq (as /stats saw it). */
    seconds: number | null;
    /** quotes / rate: what `seconds` would be if the feed kept to its schedule. */
    plannedSeconds: number;
  };

  connect: {
    attempted: number;
    connected: number;
    failed: number;
    /** Failed connects by code: system codes (EMFILE, EADDRNOTAVAIL, ETIMEDOUT ...), HTTP_<status>, WS_<close code>, LAB_*. */
    errors: Record<string, number>;
    /** Connect time: start of connect() to open (SSE 200 headers, ws 101, socket.io CONNECT ack, TCP connect). */
    ms: Percentiles;
    /** Encoded histogram of connect times, microseconds. */
    histogram: string;
    /** How many 127.0.0.x source addresses the clients were spread over. */
    sourceAddresses: number;
    /** Clients the server itself counted as connected before the window. */
    serverCounted: number | null;
  };

  delivery: {
    /**
     * Clients open when the window was set. Fewer than connect.connected (or a serverCounted below
     * it) marks the step `incomplete`: clients gone before the window are not in `expected`.
     */
    windowClients: number;
    /** windowClients x window quotes. */
    expected: number;
    /** Distinct (client, seq) pairs received within the window. */
    received: number;
    /** expected - received (counted after drainMs). */
    lost: number;
    /** A (client, seq) pair received again. */
    duplicated: number;
    /** A seq received after a higher one on the same connection. */
    outOfOrder: number;
    /** Clients whose connection closed during the window. */
    disconnected: number;
    /** Samples where receive time < quote.ts (clock skew between processes), recorded as 0. */
    negativeLatencies: number;
    /**
     * Delivery latency = receive time - quote.ts, first receipt of each (client, seq), of the `latencyClients` that read
     * as data arrives (the probe worker's, spread through the server's connection order; every client when no worker
     * is batched). The batched workers check every quote but receive it up to a poll late.
     */
    latencyMs: Percentiles;
    /** Clients whose deliveries the latencies are (open at the window). */
    latencyClients: number;
    /** Encoded histogram of latencies, microseconds. */
    histogram: string;
    /** received / window.seconds. */
    deliveriesPerSecond: number | null;
  };

  server: {
    pid: number | null;
    /** The loaded server after forced GC, with the clients still connected, after the window. */
    loaded: MemorySample | null;
    /**
     * Its twin after forced GC at the same moment: a second server process started with the same
     * arguments at the same time, holding ONE lean client, so the feed's replay ring with the
     * encodings a connected client makes the server build and keep, socket.io's recovery buffer
     * and code warm-up are in both and cancel out.
     */
    idle: MemorySample | null;
    /** (loaded - idle) / (loaded.connections - idle.connections): per connection of the N - 1 more. */
    perConnection: { heapBytes: number | null; rssBytes: number | null; externalBytes: number | null };
    /** Server CPU time over the window (from /stats cpu fields). */
    cpuMs: number | null;
    /**
     * The twin's CPU time over the same window: the feed, timers, the same number of /stats reads
     * and its one client. Its spread across steps shows how much noise the subtraction carries.
     */
    idleCpuMs: number | null;
    /** cpuMs / messagesSent x 1000. */
    cpuMsPer1kDeliveries: number | null;
    /** (cpuMs - idleCpuMs) / (messagesSent - the twin's messagesSent) x 1000: the delivery cost alone. */
    netCpuMsPer1kDeliveries: number | null;
    /** Server CPU time / window wall time, in cores. */
    cores: number | null;
    /** Quote messages the server wrote over the window (its messagesSent delta). */
    messagesSent: number | null;
    /** Bytes the server's sockets wrote over the window, the runner's own /stats answers taken out. */
    bytesWritten: number | null;
    /** bytesWritten / messagesSent: headers, framing and payload per delivered quote. */
    bytesPerDelivery: number | null;
    /**
     * The window held at least `cpuMinDeliveries` quotes written: enough server CPU to judge per delivery. False: the CPU
     * figures are kept but left out of CPU charts, checks and verdicts.
     */
    cpuJudged: boolean;
    /** Slow consumers the server dropped / connections it refused, whole step. */
    dropped: number | null;
    refused: number | null;
  };

  generator: {
    /** Worker processes (child_process.fork, never the server's process), the probe among them. */
    workers: number;
    /**
     * A batched worker's longest sleep between polls while the window was armed, ms (it wakes early for the window's last
     * quote); 0 when every worker read as data arrived.
     */
    pollMs: number;
    /** Clients the probe worker read as data arrived, timing their deliveries; 0 without a probe. */
    probeClients: number;
    /** The probe's scheduling priority (nice): below 0 where the system permitted raising it, so it reads promptly. */
    probeNice: number;
    /** CPU used by each worker over the window, in cores. */
    cores: number[];
    /** The busiest worker's cores. */
    maxCores: number | null;
    /** maxCores >= clientBoundCores. */
    clientBound: boolean;
    /** Server + idle twin + workers, in cores, over the window: near the machine's CPU count means everything competed. */
    hostCores: number | null;
    /**
     * The workers' CPU microseconds between their marks of the window / the quotes they read between them (any seq; the
     * probe's included; each worker marks just before reading the window's first quote and once it has its last): what a
     * lean reader of this transport costs per quote. The readers differ (a WebSocket frame parser vs a line splitter), so
     * this is how a reader's weight is compared, not assumed equal.
     */
    usPerDelivery: number | null;
  };

  /** nginx in front of the server (a --proxy run's proxied steps); `null` when the clients reached the server directly. */
  proxy: StepProxy | null;
}

/**
 * The figures whose spread over a step's runs is kept (repeats.ts SPREAD_FIGURES): delivery rate and latency, server
 * memory and CPU per connection and per delivery, bytes per delivery, the generator's CPU.
 */
export type SpreadFigure =
  | 'deliveriesPerSecond'
  | 'p50Ms'
  | 'p99Ms'
  | 'heapPerConnectionBytes'
  | 'rssPerConnectionBytes'
  | 'cpuMsPer1kDeliveries'
  | 'netCpuMsPer1kDeliveries'
  | 'serverCores'
  | 'bytesPerDelivery'
  | 'generatorUsPerDelivery'
  | 'generatorCores';

/** One figure over a step's runs: each run's value in order, their median, smallest and largest. */
export interface Spread {
  values: number[];
  median: number;
  min: number;
  max: number;
}

/**
 * How a step was repeated. Every run is a window of its own on the same servers and connections (fresh processes per
 * step, not per run), so the spread is the run-to-run noise of one session; the summary's status is the median of the
 * runs' statuses ranked ok < slow < saturated < loss < client-bound < incomplete < failed, and each of its figures the
 * median of the runs' (counts such as delivery.lost too); its latency histogram merges every run's.
 */
export interface Repeats {
  runs: number;
  /** The runs' ids in results.runs, in order. */
  ids: string[];
  statuses: StepStatus[];
  /** Per figure, its spread; `null` when no run had it. */
  spread: Record<SpreadFigure, Spread | null>;
}

/**
 * What the runner checks in its own figures (consistency.ts), each violation reported:
 * - `cheaper-than-floor`: a transport's server CPU per delivery below the raw-TCP floor's at the same step beyond both
 *   spreads (its largest run below the floor's smallest), impossible for a protocol that writes more bytes than TCP;
 * - `too-few-deliveries`: a step whose window held too few deliveries to judge CPU (server.cpuJudged false);
 * - `generator-heavy`: on a step where the generator could set the pace (a ramp step, or a worker at half a core or
 *   more), it spent more than half the server's CPU per delivery, so it, not the server, may have set the pace.
 */
export interface ConsistencyCheck {
  kind: 'cheaper-than-floor' | 'too-few-deliveries' | 'generator-heavy';
  stepId: string;
  /** The step compared against (the floor's), or `null`. */
  against: string | null;
  message: string;
}

/**
 * A step through nginx: its processes, what it held and spent, and the latency it added against the
 * same step measured directly just before it in the same run. nginx CPU and memory come from /proc
 * (nginx-proc.ts); the server's own figures (`server`) are read as in a direct step, its /stats
 * straight from the server, not through nginx.
 */
export interface StepProxy {
  kind: 'nginx';
  profile: ProxyProfile;
  /** nginx's master pid, and its workers' (the master's children) at the window. */
  masterPid: number | null;
  workerPids: number[];
  /** The clients spoke TLS to nginx (the h2 profile; nginx speaks plain HTTP/1.1 to the server). */
  clientTls: boolean;
  /** The server's own url, behind nginx. */
  upstream: string | null;
  /** Id of the same step measured directly in this run; `null` when there is none. */
  directId: string | null;
  /** Delivery latency through nginx minus directly, ms: what nginx added. `null` without both figures. */
  addedLatencyMs: { p50: number | null; p99: number | null };
  memory: {
    /** The workers' VmRSS summed, after nginx started and before any client connected. */
    idleRssBytes: number | null;
    /** The same with the clients connected, read when the server's memory is read. */
    loadedRssBytes: number | null;
    /** The master's VmRSS then (it holds no connection). */
    masterRssBytes: number | null;
    /**
     * (loaded - idle) / connected clients: per client, not per connection, since each client is two
     * connections at nginx (the client's own and nginx's to the server).
     */
    perClientBytes: number | null;
  };
  cpu: {
    /** Clock ticks per second of the /proc figures (CLK_TCK). */
    clockTicksPerSecond: number;
    /** utime + stime of master and workers over the window, clock ticks; `null` when a process changed or went away. */
    ticks: number | null;
    /** ticks in ms. */
    cpuMs: number | null;
    /** cpuMs / window wall time, in cores. */
    cores: number | null;
    /** nginx CPU microseconds / the quotes the server delivered over the window (its messagesSent). */
    usPerDelivery: number | null;
  };
}

/** A --proxy run: which profile, what it ran with, and which transports went direct only. */
export interface ProxyRun {
  kind: 'nginx';
  profile: ProxyProfile;
  /** The profile's nginx config as kept in the repo (servers/proxy/profiles/<profile>.conf). */
  config: string;
  /** Transports nginx cannot front, measured directly only, and why (the TCP floor stays the reference). */
  directOnly: { transport: Transport; reason: string }[];
  /** The most clients one step sends through nginx: two of its worker_connections each (nginx-proc.ts proxyClientCap). */
  clientCap: number;
  clientCapNote: string;
}

/** Round trips client -> server -> client at fixed concurrency, closed loop (each connection waits for its answer). */
export interface UpstreamResult {
  /** `load/upstream/<transport>/c<connections>`, plus `-tls` over TLS. */
  id: string;
  /** A transport with an upstream path (the registry's `upstream` is not null). */
  transport: UpstreamTransport;
  tls: boolean;
  /**
   * `POST /sse/ping (autocannon, HTTP/1.1)`, `POST /sse/ping (closed loop, HTTP/2)`, `ping message -> pong message`,
   * `emit ping -> ack` (capabilities.ts upstreamMethod).
   */
  method: string;
  connections: number;
  durationS: number;
  status: 'ok' | 'errors' | 'client-bound' | 'failed';
  error: string | null;
  /** Completed round trips. */
  requests: number;
  requestsPerSecond: number | null;
  /** Failed round trips and non-2xx answers. */
  errors: number;
  /** Round-trip time. autocannon reports whole milliseconds; the closed loops are timed to the microsecond. */
  latencyMs: Percentiles;
  /** Encoded histogram of round trips in microseconds; `null` for autocannon (its own histogram is in ms). */
  histogram: string | null;
  serverCpuMsPer1kRequests: number | null;
  generator: { cores: number | null; clientBound: boolean };
  /**
   * Runs of the measurement, each against a fresh server; the figures above are their medians (status the median
   * status, the histogram the runs' merged), with the spread of the three a reader compares.
   */
  runs: number;
  spread: { requests: Spread | null; requestsPerSecond: Spread | null; p99Ms: Spread | null; serverCpuMsPer1kRequests: Spread | null };
}

/** The highest load each transport sustained, from the ramp (rate) and the client sweep (N). */
export interface RampSummary {
  transport: Transport;
  /** The ramp's fixed N; `null` when the ramp was skipped. */
  clients: number | null;
  /** Step ids of the ramp, in order. */
  steps: string[];
  /** The highest passing rate below the lowest failing one, quotes/s. */
  highestRate: number | null;
  /** The lowest rate that failed: the limit lies between highestRate and this (the ramp doubles, then bisects); `null` if none failed. */
  failedRate: number | null;
  /** Measured deliveries/s of that step. */
  highestDeliveriesPerSecond: number | null;
  /**
   * highestDeliveriesPerSecond / the TCP floor's, only when both this ramp and the floor's found a
   * server limit (limitFound) and both ran plain or both over TLS; `null` otherwise, since a ratio of
   * lower bounds, or of a TLS figure to a plain one, compares nothing.
   */
  ratioToTcp: number | null;
  /**
   * The ramp ended at a limit of the server (a loss, slow or saturated step); false when it ended at
   * a failed or incomplete step, the generator gave out first (client-bound) or the last step
   * passed: then highestDeliveriesPerSecond is only a lower bound.
   */
  limitFound: boolean;
  /** Server CPU, in cores, during the highest passing ramp step: its headroom there. */
  serverCoresAtHighest: number | null;
  /**
   * highestDeliveriesPerSecond / serverCoresAtHighest: deliveries per second one server core sustains, the capacity the
   * ramp measured in a unit that carries over to other machines; `null` without both.
   */
  deliveriesPerServerCore: number | null;
  /** Why the ramp ended: the first failing step's reason, or "max rate reached" (then the figure is a lower bound). */
  stoppedBy: string;
  /** Largest N of the client sweep with status ok. */
  highestClients: number | null;
  /** Why the client sweep ended, the same way. */
  clientsStoppedBy: string;
}

/**
 * Server memory per connection across the client sweep, per transport: a least-squares line
 * through (connections beyond the twin's one, loaded - twin) of its ok steps. The slope is the cost of one more
 * connection without the fixed costs (code warm-up, first-use allocations) that inflate the
 * per-step figure at small N; the spread is the range of the per-step figures.
 */
export interface MemorySummary {
  transport: Transport;
  /** N of the ok client-sweep steps used. */
  clients: number[];
  /** Slope, bytes per connection; `null` with fewer than two steps. */
  heapBytesPerConnection: number | null;
  rssBytesPerConnection: number | null;
  /** Intercept: what the loaded server holds beyond its idle twin at zero connections. */
  heapFixedBytes: number | null;
  /** Smallest and largest per-step heap per connection. */
  heapPerConnectionRange: [number, number] | null;
}

export interface SkippedStep {
  phase: Phase;
  transport: Transport;
  clients: number;
  rate: number;
  reason: string;
}

export interface LoadResults {
  kind: 'load';
  schema: 3;
  meta: RunMetadata;
  /** The method in sentences, as the runner's header states it. */
  method: string[];
  /** Profile name and the resolved options of this run. */
  profile: string;
  options: LoadOptions;
  environment: {
    /**
     * RLIMIT_NOFILE of the runner process. Its servers and workers inherit the hard limit, and Node
     * raises each process's soft limit to the hard one at start, so this is their ceiling too.
     */
    nofile: { soft: number | null; hard: number | null };
    /** net.ipv4.ip_local_port_range: ephemeral ports per source address. */
    ephemeralPorts: [number, number] | null;
    somaxconn: number | null;
    /** `none`: every transport writes each quote on its own (see batchingNote). */
    batching: 'none';
    batchingNote: string;
    /** Which client code generated the load. */
    readers: string;
    /** How TLS was set up when any step used it (certificate, version, handshakes); `null` when every step was plain. */
    tls: string | null;
  };
  /** Each step's summary: its runs' medians (a step run once is its own summary, with `repeats.runs` 1). */
  steps: StepResult[];
  /** Every run of every step, in the order measured (ids end in `#<run>`). */
  runs: StepResult[];
  /** Which cores the server side and the client side ran on (pinning.ts). */
  pinning: Pinning;
  /** The runner's checks of its own figures; each entry is a violation (consistency.ts). */
  checks: ConsistencyCheck[];
  skipped: SkippedStep[];
  ramp: RampSummary[];
  memory: MemorySummary[];
  upstream: UpstreamResult[];
  /** The `ws-heavier-than-sse` verdict as written to claims.json (also when `claims` is null). */
  claim: ClaimResult;
  /** nginx in front (--proxy): the profile and what it could not front; `null` for a direct run. */
  proxy: ProxyRun | null;
  /** True when Ctrl-C (or an abort signal) ended the run early; the steps so far are kept. */
  aborted: boolean;
  /** Wall time of the whole run, seconds. */
  elapsedS: number;
}

/** CPU of one process, or of a group of them (nodes; nginx's master and workers), over a step's window. */
export interface ProcessCpu {
  /** utime + stime in clock ticks (/proc/<pid>/stat) for what has no /stats (Redis, the publisher, nginx); `null` for servers. */
  ticks: number | null;
  /** CPU time over the window, ms. */
  cpuMs: number | null;
  /** cpuMs / window wall time, in cores. */
  cores: number | null;
  /** cpuMs in microseconds / the quotes the servers delivered over the window (their messagesSent, summed). */
  usPerDelivery: number | null;
}

/** One step of a scale-out comparison, digested from its StepResult (and the cluster's /proc readings). */
export interface ClusterRow {
  /** `plain`: one server process behind nginx (tuned), its feed inside it, no Redis. `cluster`: the cluster CLI's processes. */
  kind: 'plain' | 'cluster';
  /** Server processes: 1 for the plain server. */
  nodes: number;
  /** The StepResult in `steps` this row digests. */
  stepId: string;
  status: StepStatus;
  clients: number;
  connected: number;
  lost: number;
  deliveriesPerSecond: number | null;
  latencyMs: { p50: number | null; p99: number | null };
  /** Quotes the server(s) wrote over the window (messagesSent, summed over the nodes): what CPU is divided by. */
  deliveries: number | null;
  cpu: {
    /** The server, or the nodes summed, from their /stats (process.cpuUsage, microseconds): `ticks` is null. */
    server: ProcessCpu;
    /** redis-server (/proc); `null` for the plain server. */
    redis: ProcessCpu | null;
    /** The cluster process (the ready line's `pid`), which runs the publisher (/proc); `null` for the plain server (feed in `server`). */
    publisher: ProcessCpu | null;
    /** nginx, master and workers (/proc), as the step's `proxy.cpu`. */
    nginx: ProcessCpu;
    /** The generator workers: CPU per quote read (StepResult generator.usPerDelivery), and their cores. */
    generator: { cores: number | null; usPerDelivery: number | null };
  };
  /** server + redis + publisher, µs per delivery: the server side of a delivery, bus included. */
  serverSideUsPerDelivery: number | null;
  /** serverSideUsPerDelivery minus the plain server's, µs per delivery: what the bus adds; `null` on the plain row. */
  busUsPerDelivery: number | null;
  /** Server(s), Redis, publisher, nginx and generator, in cores over the window: near the machine's CPU count, all competed. */
  hostCores: number | null;
  /** The step's processes, so a test can check none is left: the cluster process, the servers, Redis, nginx's master and workers. */
  pids: { cluster: number | null; servers: number[]; redis: number | null; nginx: number[] };
}

/** One transport at one N: the plain server behind nginx, a cluster of 1 node, and a cluster of N. */
export interface ClusterComparison {
  transport: Transport;
  clients: number;
  rate: number;
  /** plain, cluster of 1, cluster of N (absent when N is 1, or a step was skipped). */
  rows: ClusterRow[];
  /** The 1-node cluster's busUsPerDelivery: the cost of the bus alone, without a second node to share the cores. */
  busUsPerDelivery: number | null;
}

/** results/load-cluster.json: `npm run load -- --nodes N`. */
export interface ClusterLoadResults {
  kind: 'load-cluster';
  /** 2: repeated runs (`runs`; the comparison rows are the runs' medians) and `pinning`. */
  schema: 2;
  meta: RunMetadata;
  method: string[];
  profile: string;
  options: ClusterLoadOptions;
  environment: LoadResults['environment'];
  /** What this machine can and cannot show about scaling out, in words (also printed). */
  note: string;
  cluster: {
    /** The larger cluster's nodes. */
    nodes: number;
    balance: 'round-robin';
    /** The heartbeat every server ran with (the cluster CLI starts its nodes with the servers' default). */
    heartbeatMs: number;
    /** CPUs this machine has (os.availableParallelism). */
    cpus: number;
  };
  /** nginx's tuned profile, in front of every step, and the most clients one step sends through it. */
  proxy: ProxyRun;
  comparisons: ClusterComparison[];
  steps: StepResult[];
  runs: StepResult[];
  pinning: Pinning;
  skipped: SkippedStep[];
  aborted: boolean;
  elapsedS: number;
}
