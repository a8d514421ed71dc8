/**
 * One options type, one defaults object, three profiles (full, quick, tiny) and eager
 * validation: a bad value throws LAB_BAD_OPTION with a hint before any process starts. A scale-out
 * run (--nodes) adds one field to the same options (ClusterLoadOptions) and its own defaults (CLUSTER_RUN).
 */
import { LabError } from '../../servers/errors.ts';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import { isProxyProfile, PROXY_PROFILES, proxiable, type ProxyProfile } from '../../servers/proxy/profiles.ts';
import { TRANSPORT_NAMES, type Transport } from '../../servers/transports.ts';
import { CLAIMS_PATH } from '../lib/claims.ts';
import { ROOT } from '../lib/paths.ts';

export interface LoadOptions {
  /** Transports to measure, in this order; the registry's `floor` (tcp) is the raw floor. Default every transport of the registry. */
  transports: Transport[];
  /**
   * Every transport over TLS with the lab's certificate: https, wss, socket.io over https, TLS around the floor's
   * NDJSON; clients trust the certificate, /stats is read over https. A transport that requires TLS (sse-h2) runs over
   * TLS either way, and its steps say so (`tls` per step). With it, `out` defaults to results/load-tls.json and
   * `claims` to null, so a TLS pass leaves the plain run's results and claim alone. Default `false`.
   */
  tls: boolean;
  /**
   * nginx in front (servers/proxy/nginx.ts, one of its profiles): every step of a transport nginx can front runs twice in
   * a row, directly and through nginx, so the latency nginx adds and its own memory and CPU are measured in the same
   * session; the others (sse-h2, the TCP floor) run directly only. With it, `out` defaults to results/load-proxy.json,
   * `claims` to null, and the payload sweep, the ramp and the upstream round trips to off (PROXY_RUN). `null`: direct
   * only. Default `null`.
   */
  proxy: ProxyProfile | null;
  /** Concurrent clients of each step of the client sweep. Default `[100, 1000, 5000, 10000]`. */
  clients: number[];
  /**
   * Feed rate of the client sweep, quotes/s. Default `1` (article A's server sends once a second); `5` in the quick profile,
   * `10` with --nodes.
   */
  rate: number;
  /** Feed rate of the payload sweep, quotes/s. Default `5`. */
  payloadRate: number;
  /**
   * Length of each run's measured window, seconds (the ramp's: rampDuration). A window of the client sweep is lengthened
   * to hold cpuMinDeliveries deliveries where maxDuration allows it (at 1/s and 1,000 clients: 10 s). Default `4`.
   */
  duration: number;
  /** The longest a client-sweep window is lengthened to; a step that would need longer keeps `duration`. Default `10`. */
  maxDuration: number;
  /** Time between the last client connecting (or the previous run's window) and a window, seconds. Default `1`. */
  warmup: number;
  /**
   * The first window opens no earlier than this many seconds after the step's two servers started, past their start-up
   * compilation. The servers run without V8's memory reducer (processes.ts LOAD_SERVER_FLAGS), whose one-off collection
   * some 15 s after start would otherwise land in one server's window and not the other's. Default `3`; `0` in the quick
   * and tiny profiles; `20` in a full --nodes run, counted from a cluster's ready line (its nodes run with the reducer).
   */
  settleS: number;
  /**
   * Runs of every measured step: windows one after another on the same servers and connections; the step's figures are
   * their medians, with min and max kept (repeats.ts). Default `3`; `1` in the quick and tiny profiles (which say so).
   */
  repeats: number;
  /**
   * A window in which the server wrote fewer quotes than this is too small a sample to judge its CPU per delivery (timers,
   * GC and the /stats probe weigh as much): the step's CPU figures are kept but left out of CPU charts, checks and the
   * verdict. Default `10000`.
   */
  cpuMinDeliveries: number;
  /**
   * Pad bytes added to each quote in the payload sweep (the quote itself is ~70 bytes of JSON); `[]` skips it.
   * Default `[64, 1024, 16384]`.
   */
  payload: number[];
  /** Clients during the payload sweep. Default `1000`. */
  payloadClients: number;
  /** Clients during the rate ramp; `null` skips the ramp. Default `1000`. */
  rampClients: number | null;
  /** First rate of the ramp, quotes/s; each next step doubles it. Default `20`. */
  rampStart: number;
  /** Most doubling steps per transport. Default `8` (20 .. 2560 quotes/s). */
  rampSteps: number;
  /**
   * Steps that bisect between the highest passing rate and the first failing one once the doubling found a failure, so
   * the limit is known to within (hi - lo) / 2^rampRefine. Default `2`.
   */
  rampRefine: number;
  /** Length of each ramp run's window, seconds: its rates put many more deliveries in a second. Default `2`. */
  rampDuration: number;
  /** A step passes while delivery p99 stays at or under this, ms (the public WebSocket benchmarks' limit). Default `500`. */
  latencyLimitMs: number;
  /** Concurrent connections of the upstream round-trip test; `null` skips it. Default `100`. */
  upstreamConnections: number | null;
  /** Length of each upstream test, seconds. Default `10`. */
  upstreamDuration: number;
  /**
   * Batched load-generator worker processes per step, beside the probe. Default `1`: on a 2-core machine the server gets
   * the other core.
   */
  workers: number;
  /**
   * While a window is armed, a batched worker sleeps between polls of its sockets long enough for about this many quotes
   * to wait on each, so one read takes them all (worker.ts says why): pollQuotes / rate seconds, within POLL_MS. `0` makes
   * every worker read as data arrives and time every delivery, with no probe. Default `16`.
   */
  pollQuotes: number;
  /**
   * Share of a step's clients the probe worker reads as data arrives, timing their deliveries (within PROBE, and never
   * every client), connected one by one between the batched workers' rounds so they are spread through the server's
   * connection order. Default `0.02`.
   */
  probeShare: number;
  /** Clients per 127.0.0.x source address; more clients use more addresses. Default `1000`. */
  clientsPerAddress: number;
  /** Connections each worker opens at once. Default `200`. */
  connectConcurrency: number;
  /** One connection's open time limit, ms. Default `10000`. */
  connectTimeoutMs: number;
  /** After the window's last quote is published, how long clients have to receive it; what is missing then is lost, ms. Default `5000`. */
  drainMs: number;
  /** A worker process at or above this many cores during the window marks the step client-bound. Default `0.9`. */
  clientBoundCores: number;
  /**
   * Server heartbeat (SSE comment, ws ping, socket.io ping) interval, ms. Default `3600000`: liveness traffic stays out
   * of the windows, for every transport alike.
   */
  heartbeatMs: number;
  /** Feed seed. Default `42`. */
  seed: number;
  /** Ratios ws/SSE within 1 +- this are called "similar" in the claim's verdict. Default `0.1`. */
  verdictMargin: number;
  /** Where to write the results JSON; `null` writes nothing. Default `results/load.json` (`results/load-tls.json` with `tls`). */
  out: string | null;
  /** claims.json to fill with `ws-heavier-than-sse`; `null` leaves claims alone. Default `results/claims.json` (`null` with `tls`). */
  claims: string | null;
}

export const LOAD_DEFAULTS: LoadOptions = {
  transports: [...TRANSPORT_NAMES],
  tls: false,
  proxy: null,
  clients: [100, 1000, 5000, 10000],
  rate: 1,
  payloadRate: 5,
  duration: 4,
  maxDuration: 10,
  warmup: 1,
  settleS: 3,
  repeats: 3,
  cpuMinDeliveries: 10_000,
  payload: [64, 1024, 16384],
  payloadClients: 1000,
  rampClients: 1000,
  rampStart: 20,
  rampSteps: 8,
  rampRefine: 2,
  rampDuration: 2,
  latencyLimitMs: 500,
  upstreamConnections: 100,
  upstreamDuration: 5,
  workers: 1,
  pollQuotes: 16,
  probeShare: 0.02,
  clientsPerAddress: 1000,
  connectConcurrency: 200,
  connectTimeoutMs: 10_000,
  drainMs: 5000,
  clientBoundCores: 0.9,
  heartbeatMs: 3_600_000,
  seed: 42,
  verdictMargin: 0.1,
  out: `${ROOT}results/load.json`,
  claims: CLAIMS_PATH,
};

/** What `tls` changes in the defaults: a TLS pass writes its own file and leaves the claim to the plain run. */
export const TLS_DEFAULTS: Partial<LoadOptions> = { out: `${ROOT}results/load-tls.json`, claims: null };

export type Profile = 'full' | 'quick' | 'tiny';

/**
 * What `proxy` changes in the defaults, after the profile: its own results file, the claim left to the direct run, and
 * the client sweep only (the quick profile at 1,000 clients), since every step runs twice.
 */
const PROXY_COMMON: Partial<LoadOptions> = {
  out: `${ROOT}results/load-proxy.json`,
  claims: null,
  payload: [],
  rampClients: null,
  upstreamConnections: null,
};
export const PROXY_RUN: Record<Profile, Partial<LoadOptions>> = {
  full: PROXY_COMMON,
  quick: { ...PROXY_COMMON, clients: [1000] },
  tiny: PROXY_COMMON,
};

/** What each profile changes from the defaults. `quick` is for CI and first runs; `tiny` for the test suite. */
export const PROFILES: Record<Profile, Partial<LoadOptions>> = {
  full: {},
  quick: {
    clients: [100, 1000],
    rate: 5,
    settleS: 0,
    repeats: 1,
    payloadClients: 100,
    rampClients: 100,
    // 100 clients pass every rate below some 40,000 deliveries/s: the quick ramp starts there.
    rampStart: 400,
    rampSteps: 3,
    rampRefine: 1,
    upstreamConnections: 50,
    upstreamDuration: 3,
  },
  tiny: {
    clients: [20],
    rate: 10,
    payloadRate: 10,
    duration: 2,
    warmup: 0.5,
    settleS: 0,
    payload: [1024],
    payloadClients: 20,
    rampClients: 20,
    rampStart: 50,
    rampSteps: 1,
    rampRefine: 0,
    rampDuration: 2,
    repeats: 1,
    // The test suite's windows hold a few hundred deliveries: judged anyway, so its CPU charts have points.
    cpuMinDeliveries: 100,
    upstreamConnections: 10,
    upstreamDuration: 1,
    drainMs: 3000,
  },
};

/**
 * The fewest and the most clients a probe reads: enough samples for a p99 at every step, few enough that its cost stays
 * small. Reading as data arrives, a probe client costs several times a batched one per delivery: the server's fan-out
 * spreads its clients' quotes over the whole write loop, so each wakes the probe on its own.
 */
export const PROBE = { min: 5, max: 50 };

/**
 * A batched worker's sleep between polls, ms. Below 1 quote in 50 ms a read holds one quote anyway. At 1 quote/s the
 * sleep is 16 s, longer than the window, so a read there holds the whole window: a read's cost is mostly fixed (the
 * wake-up, the syscall, the ACK), and reading each quote alone (1-s polls) made the generator cost 0.56-0.97 of the
 * server per delivery at 1,000 clients. The worker wakes for the window's last quote when it is due (worker.ts), so the
 * drain does not wait out a long poll.
 */
export const POLL_MS = { min: 50, max: 16000 };
/**
 * The most bytes a poll lets wait on one connection: well inside a loopback socket's receive buffer and HTTP/2's default
 * 64 KiB stream window, so a sleeping reader never makes the server stall or queue (its figures stay the server's own).
 */
export const POLL_BYTES = 32 * 1024;
/** A quote's bytes on the wire beside its padding (JSON and framing; 70-130 B by transport), rounded up. */
const QUOTE_BYTES = 150;

/**
 * How long after the window's last quote is due a batched worker wakes for it (`marginMs`), and its sleep between polls
 * once that is past (`afterMs`): no more of the window's quotes are coming to batch, and the drain waits for it.
 */
export const DUE_WAKE = { marginMs: 20, afterMs: 50 };

/**
 * A batched worker's next sleep, ms: its poll interval, cut short to wake `DUE_WAKE.marginMs` after the window's last
 * seq `to` is due, reckoned from the newest quote read (`seq`, sent at `ts`) and the feed's `rate`. Both `ts` and
 * `nowMs` are `performance.timeOrigin + performance.now()` (servers/contract.ts now()) of two processes on one host.
 * Before any quote is read there is nothing to reckon from, so it wakes every `DUE_WAKE.afterMs` until one arrives: a
 * window armed just after its clients connected would otherwise sleep a whole poll (16 s at 1/s), past the drain.
 */
export function wakeInMs(due: { to: number; rate: number; seq: number; ts: number }, pollMs: number, nowMs: number): number {
  if (due.rate === 0) return pollMs;
  if (due.seq === 0) return Math.min(pollMs, DUE_WAKE.afterMs);
  const left = due.ts + ((due.to - due.seq) * 1000) / due.rate + DUE_WAKE.marginMs - nowMs;
  return Math.max(0, Math.min(pollMs, left > 0 ? left : DUE_WAKE.afterMs));
}

/** The sleep between a batched worker's polls at `rate` quotes/s of `padding` pad bytes; 0 when no worker is batched. */
export function pollInterval(rate: number, padding: number, options: Pick<LoadOptions, 'pollQuotes'>): number {
  if (options.pollQuotes === 0) return 0;
  const byQuotes = (options.pollQuotes / rate) * 1000;
  const byBytes = (POLL_BYTES / (rate * (padding + QUOTE_BYTES))) * 1000;
  return Math.round(Math.min(POLL_MS.max, Math.max(POLL_MS.min, Math.min(byQuotes, byBytes))));
}

/** The probe's clients at `clients` (0 when no worker is batched). */
export function probeClients(clients: number, options: Pick<LoadOptions, 'pollQuotes' | 'probeShare'>): number {
  if (options.pollQuotes === 0 || clients < 2) return 0;
  return Math.min(PROBE.max, clients - 1, Math.max(PROBE.min, Math.round(clients * options.probeShare)));
}

/** 127.0.0.1 .. 127.0.0.254: the source addresses loopback offers without setup. */
export const MAX_SOURCE_ADDRESSES = 254;

function check(ok: boolean, name: string, value: unknown, hint: string): void {
  if (!ok) throw new LabError('LAB_BAD_OPTION', `${name} is ${JSON.stringify(value)}`, hint);
}

const isInt = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isNum = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Profile, then the caller's values, over the defaults; every field checked. */
export function resolveLoadOptions(input: Partial<LoadOptions> = {}, profile: Profile = 'full'): LoadOptions {
  const tls = input.tls ?? PROFILES[profile].tls ?? LOAD_DEFAULTS.tls;
  const proxied = input.proxy !== undefined && input.proxy !== null;
  const o: LoadOptions = {
    ...LOAD_DEFAULTS,
    ...(tls === true ? TLS_DEFAULTS : {}),
    ...PROFILES[profile],
    ...(proxied ? PROXY_RUN[profile] : {}),
    ...input,
  };
  check(typeof o.tls === 'boolean', 'tls', o.tls, 'true or false');
  check(o.proxy === null || isProxyProfile(o.proxy), 'proxy', o.proxy, `one of ${PROXY_PROFILES.join(', ')}`);
  check(
    o.proxy === null || !o.tls,
    'tls with proxy',
    true,
    'nginx takes the clients here and speaks plain HTTP to the server; for TLS at nginx use --proxy h2',
  );
  check(
    o.proxy === null || o.upstreamConnections === null,
    'upstreamConnections with proxy',
    o.upstreamConnections,
    'round trips are not measured through nginx; leave --upstream-connections out (or none)',
  );
  check(
    Array.isArray(o.transports) &&
      o.transports.length > 0 &&
      o.transports.every((t) => TRANSPORT_NAMES.includes(t)) &&
      new Set(o.transports).size === o.transports.length,
    'transports',
    o.transports,
    `a list of distinct names from ${TRANSPORT_NAMES.join(', ')}`,
  );
  check(
    Array.isArray(o.clients) && o.clients.every((n) => isInt(n, 1, 100_000)),
    'clients',
    o.clients,
    'a list of client counts, each 1..100000 (e.g. 100,1000); [] skips the sweep',
  );
  check(isNum(o.rate, 0.01, 100_000), 'rate', o.rate, 'quotes per second, 0.01..100000');
  check(isNum(o.payloadRate, 0.01, 100_000), 'payloadRate', o.payloadRate, 'quotes per second, 0.01..100000');
  check(isNum(o.maxDuration, 0.5, 3600), 'maxDuration', o.maxDuration, 'seconds, 0.5..3600');
  check(isNum(o.duration, 0.5, 3600), 'duration', o.duration, 'seconds, 0.5..3600');
  check(isNum(o.warmup, 0, 600), 'warmup', o.warmup, 'seconds, 0..600');
  check(isNum(o.settleS, 0, 600), 'settleS', o.settleS, 'seconds, 0..600');
  check(isInt(o.repeats, 1, 20), 'repeats', o.repeats, 'runs per step, a whole number 1..20');
  check(isInt(o.cpuMinDeliveries, 0, 100_000_000), 'cpuMinDeliveries', o.cpuMinDeliveries, 'a whole number of deliveries, e.g. 10000');
  check(
    Array.isArray(o.payload) && o.payload.every((p) => isInt(p, 0, 16 * 1024 * 1024)),
    'payload',
    o.payload,
    'a list of pad sizes in bytes, each 0..16777216 (e.g. 64,1024,16384), or none',
  );
  check(isInt(o.payloadClients, 1, 100_000), 'payloadClients', o.payloadClients, 'a client count 1..100000');
  check(
    o.rampClients === null || isInt(o.rampClients, 1, 100_000),
    'rampClients',
    o.rampClients,
    'a client count 1..100000, or none to skip the ramp',
  );
  check(isNum(o.rampStart, 0.01, 100_000), 'rampStart', o.rampStart, 'quotes per second, 0.01..100000');
  check(isInt(o.rampSteps, 1, 20), 'rampSteps', o.rampSteps, 'a whole number 1..20');
  check(isInt(o.rampRefine, 0, 10), 'rampRefine', o.rampRefine, 'bisection steps, a whole number 0..10');
  check(isNum(o.rampDuration, 0.5, 3600), 'rampDuration', o.rampDuration, 'seconds, 0.5..3600');
  check(isNum(o.latencyLimitMs, 1, 600_000), 'latencyLimitMs', o.latencyLimitMs, 'milliseconds, 1..600000');
  check(
    o.upstreamConnections === null || isInt(o.upstreamConnections, 1, 10_000),
    'upstreamConnections',
    o.upstreamConnections,
    'a connection count 1..10000, or none to skip',
  );
  check(isNum(o.upstreamDuration, 0.5, 3600), 'upstreamDuration', o.upstreamDuration, 'seconds, 0.5..3600');
  check(isInt(o.workers, 1, 64), 'workers', o.workers, 'a whole number 1..64');
  check(isInt(o.pollQuotes, 0, 100), 'pollQuotes', o.pollQuotes, 'a whole number 0..100 (0: every worker reads as data arrives)');
  check(isNum(o.probeShare, 0.001, 1), 'probeShare', o.probeShare, 'a share of the clients, 0.001..1');
  check(
    isInt(o.clientsPerAddress, 1, 28_000),
    'clientsPerAddress',
    o.clientsPerAddress,
    'a whole number 1..28000 (one address has ~28k ephemeral ports)',
  );
  check(isInt(o.connectConcurrency, 1, 10_000), 'connectConcurrency', o.connectConcurrency, 'a whole number 1..10000');
  check(isInt(o.connectTimeoutMs, 100, 600_000), 'connectTimeoutMs', o.connectTimeoutMs, 'milliseconds, 100..600000');
  check(isInt(o.drainMs, 0, 600_000), 'drainMs', o.drainMs, 'milliseconds, 0..600000');
  check(isNum(o.clientBoundCores, 0.05, 64), 'clientBoundCores', o.clientBoundCores, 'cores, e.g. 0.9');
  check(isInt(o.heartbeatMs, 10, 3_600_000), 'heartbeatMs', o.heartbeatMs, 'milliseconds, 10..3600000 (the server CLI range)');
  check(isInt(o.seed, 0, 2 ** 32 - 1), 'seed', o.seed, 'a whole number 0..4294967295');
  check(isNum(o.verdictMargin, 0, 1), 'verdictMargin', o.verdictMargin, 'a fraction 0..1, e.g. 0.1');
  check(o.out === null || (typeof o.out === 'string' && o.out.length > 0), 'out', o.out, 'a file path, or null to write nothing');
  check(
    o.claims === null || (typeof o.claims === 'string' && o.claims.length > 0),
    'claims',
    o.claims,
    'a file path, or null to leave claims alone',
  );

  const steps = [...o.clients, o.payloadClients, ...(o.rampClients === null ? [] : [o.rampClients])];
  const most = Math.max(...steps);
  check(
    Math.ceil(most / o.clientsPerAddress) <= MAX_SOURCE_ADDRESSES,
    'clientsPerAddress',
    o.clientsPerAddress,
    `${most} clients need more than ${MAX_SOURCE_ADDRESSES} source addresses; raise it`,
  );
  const rates: [number, number][] = [
    [o.rate, Math.max(o.duration, o.maxDuration)],
    [o.payloadRate, o.duration],
    ...(o.rampClients === null ? [] : [[o.rampStart * 2 ** (o.rampSteps - 1), o.rampDuration] as [number, number]]),
  ];
  for (const [rate, seconds] of rates) {
    check(rate <= 100_000, 'rate', rate, 'the server takes at most 100000 quotes/s (for the ramp: lower rampStart or rampSteps)');
    const quotes = Math.round(seconds * rate);
    check(quotes >= 1 && quotes <= 1_000_000, 'duration x rate', `${seconds} s x ${rate}/s`, 'the window must hold 1..1000000 quotes');
  }
  return o;
}

/** The transports a cluster runs (servers/cluster/cli.ts): those nginx can balance. */
export const CLUSTER_TRANSPORTS = TRANSPORT_NAMES.filter(proxiable);
/** The cluster CLI's largest --nodes. */
export const MAX_NODES = 16;

/** A scale-out run (--nodes): the load options, and the size of the larger cluster measured beside one node. */
export interface ClusterLoadOptions extends LoadOptions {
  /**
   * Nodes of the larger cluster: each transport's step runs against one server behind nginx, a cluster of 1 node and a
   * cluster of this many (just the first two when it is 1). No default: `--nodes` is what asks for a scale-out run.
   */
  nodes: number;
}

/**
 * What `--nodes` changes in the defaults, after the profile: its own results file, no claim, the client sweep only at
 * one N (1,000 clients; 200 in the quick profile) at 10 quotes/s, the cluster transports, a longer settle in the full
 * profile, and nginx's tuned profile in front of every step (the cluster's nginx runs it, so the single server is
 * measured behind the same). The heartbeat is the servers' default: the cluster CLI starts its nodes without a --heartbeat, and the
 * single server must carry the same liveness traffic.
 */
const CLUSTER_COMMON: Partial<LoadOptions> = {
  ...PROXY_COMMON,
  out: `${ROOT}results/load-cluster.json`,
  transports: CLUSTER_TRANSPORTS,
  clients: [1000],
  // At 1 quote/s a window holds ~0.1 core of work, and one GC or heartbeat round moved the nodes' µs per delivery by
  // tens (two runs: ws's bus cost +13 and +48 µs); at 10/s three runs gave +2.3 to +3.9 µs.
  rate: 10,
  heartbeatMs: SERVER_DEFAULTS.heartbeatMs!,
};
export const CLUSTER_RUN: Record<Profile, Partial<LoadOptions>> = {
  // A cluster's processes (the cluster process, the nodes) spend one-off bursts of CPU up to ~17 s after they start
  // (V8 collecting start-up garbage once allocation slows), later than a lone server's 6-13 s: 20 s keeps them out.
  full: { ...CLUSTER_COMMON, settleS: 20 },
  quick: { ...CLUSTER_COMMON, clients: [200] },
  tiny: { ...CLUSTER_COMMON, clients: [20] },
};

/** The profile, then CLUSTER_RUN, then the caller's values, over the defaults; every field checked, what a cluster cannot do refused. */
export function resolveClusterOptions(input: Partial<LoadOptions>, profile: Profile, nodes: number): ClusterLoadOptions {
  check(isInt(nodes, 1, MAX_NODES), 'nodes', nodes, `a whole number 1..${MAX_NODES} (the cluster CLI's range)`);
  check(input.tls !== true, 'tls with nodes', true, "a cluster's nodes speak plain HTTP behind nginx; leave --tls out");
  check(
    input.proxy === undefined || input.proxy === null,
    'proxy with nodes',
    input.proxy,
    "every step of a scale-out run is behind nginx's tuned profile, the cluster's; leave --proxy out",
  );
  const o = resolveLoadOptions({ ...CLUSTER_RUN[profile], ...input, proxy: 'tuned' }, profile);
  check(
    o.transports.every((t) => CLUSTER_TRANSPORTS.includes(t)),
    'transports with nodes',
    o.transports,
    `a cluster runs ${CLUSTER_TRANSPORTS.join(', ')}`,
  );
  check(
    o.payload.length === 0 && o.rampClients === null,
    'payload or ramp with nodes',
    { payload: o.payload, rampClients: o.rampClients },
    'a scale-out run measures the client sweep only; leave --payload and --ramp-clients out',
  );
  check(
    o.heartbeatMs === SERVER_DEFAULTS.heartbeatMs,
    'heartbeatMs with nodes',
    o.heartbeatMs,
    `the cluster's nodes run the servers' default ${SERVER_DEFAULTS.heartbeatMs} ms, and the single server must match them`,
  );
  return { ...o, nodes };
}

export const isClusterRun = (options: LoadOptions): options is ClusterLoadOptions => 'nodes' in options;

/** Ramp rates: rampStart doubled rampSteps - 1 times. */
export function rampRates(o: Pick<LoadOptions, 'rampStart' | 'rampSteps'>): number[] {
  return Array.from({ length: o.rampSteps }, (_, i) => o.rampStart * 2 ** i);
}
