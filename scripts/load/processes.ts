/**
 * The runner's child processes and how it talks to them: servers through the CLI contract
 * (spawnServer), clusters through theirs (cluster-proc.ts), generator workers forked with
 * `--import tsx`, and a /stats probe on one keep-alive connection (a cluster's: one per node,
 * summed). Every child is registered so it is stopped on success, on error and on Ctrl-C, and
 * killed outright if the runner exits with any still alive.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { connect as http2Connect, constants, type ClientHttp2Session } from 'node:http2';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { setPriority } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { Transport } from '../../servers/transports.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { onProcessExit } from '../../servers/exit-hooks.ts';
import { spawnServer, type SpawnedServer } from '../lib/spawn-server.ts';
import { ROOT } from '../lib/paths.ts';
import { killNginxGroup } from '../../servers/proxy/nginx.ts';
import { type SpawnedCluster, spawnCluster } from './cluster-proc.ts';
import { type Pinning, pinned } from './pinning.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** A child that ignores SIGTERM this long is killed. */
const STOP_GRACE_MS = 3000;
/**
 * V8's memory reducer collects a fresh server's start-up garbage once allocation slows, some 15 s after start: 30-80 ms of
 * CPU that would land in one server's window and not its twin's. Without it a window can open seconds after the start.
 */
export const LOAD_SERVER_FLAGS = ['--no-memory-reducer'];
/** A /stats answer later than this fails the step. */
const PROBE_TIMEOUT_MS = 10_000;

export class AbortedError extends Error {
  constructor() {
    super('lab: load run aborted');
    this.name = 'AbortedError';
  }
}

/** Sleeps `ms`, or rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Waits for a child's exit for up to `ms`, then SIGKILLs it. */
async function ensureExit(child: ChildProcess, ms: number): Promise<void> {
  if (!alive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => alive(child) && child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** One generator worker process and its message queue. */
export class WorkerHandle {
  readonly #queue: FromWorker[] = [];
  readonly #waiters = new Set<() => void>();
  #stderr = '';
  #exited = false;
  /** The scheduling priority it runs at (children.worker). */
  nice = 0;
  /** Called for every `progress` message (they are not queued). */
  onProgress: (connected: number, failed: number) => void = () => {};

  constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-2000)));
    child.on('message', (message: FromWorker) => {
      if (message.type === 'progress') return this.onProgress(message.connected, message.failed);
      this.#queue.push(message);
      this.#wake();
    });
    child.once('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** The next message of `type` (an `error` message or the worker's exit rejects), within `timeoutMs`. */
  async next<T extends FromWorker['type']>(type: T, timeoutMs: number, signal?: AbortSignal): Promise<Extract<FromWorker, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex((m) => m.type === type || m.type === 'error');
      if (index !== -1) {
        const [message] = this.#queue.splice(index, 1);
        if (message!.type === 'error') throw new Error(`lab: generator worker failed: ${message!.message}`);
        return message as Extract<FromWorker, { type: T }>;
      }
      if (this.#exited)
        throw new Error(
          `lab: generator worker exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for "${type}": ` +
            this.#stderr.trim(),
        );
      if (signal?.aborted) throw new AbortedError();
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`lab: generator worker sent no "${type}" within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        signal?.addEventListener('abort', done, { once: true });
        this.#waiters.add(done);
      });
    }
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/**
 * Every child the runner started, so none outlives it. A server started with --proxy runs nginx in
 * its own process group; should the server be SIGKILLed, nginx would outlive it, so the group (the
 * master's pid, from the ready line) is killed after the server.
 */
export class Children {
  readonly #servers = new Set<SpawnedServer>();
  readonly #workers = new Set<WorkerHandle>();
  readonly #nginx = new Map<SpawnedServer, number>();
  readonly #clusters = new Set<SpawnedCluster>();
  readonly #forgetExit = onProcessExit(() => this.killNow());

  /** `pinning`: the server side and the client side on their cores (pinning.ts); default nothing pinned. */
  constructor(readonly pinning: Pick<Pinning, 'server' | 'generator'> = { server: null, generator: null }) {}

  /** A server on the server side's cores; `twin`: the one-client twin, on the client side's. */
  async server(transport: Transport, args: string[], twin = false): Promise<SpawnedServer> {
    const cores = twin ? this.pinning.generator : this.pinning.server;
    const server = await spawnServer(transport, args, process.env, { cores, nodeFlags: LOAD_SERVER_FLAGS });
    this.#servers.add(server);
    const proxy = server.ready.proxy;
    if (proxy) this.#nginx.set(server, proxy.pid);
    server.child.once('exit', () => this.#servers.delete(server));
    return server;
  }

  /** A cluster process (`servers/cluster/cli.ts`), stopped like a server and, if killed, with everything it started. */
  async cluster(transport: Transport, args: string[]): Promise<SpawnedCluster> {
    const cluster = await spawnCluster(transport, args, this.pinning.server);
    this.#clusters.add(cluster);
    return cluster;
  }

  async stopCluster(cluster: SpawnedCluster): Promise<void> {
    await cluster.stop();
    this.#clusters.delete(cluster);
  }

  /**
   * A generator worker on the client side's cores (fork execs taskset, which execs node with the IPC channel kept). With
   * `nice` below 0 (the probe) it asks for that scheduling priority, so the probe reads as data arrives even while a
   * batched worker on the same core works through a poll; `handle.nice` says what it got (0 where not permitted).
   */
  worker(nice = 0): WorkerHandle {
    const [execPath, execArgv] = pinned(process.execPath, ['--import', 'tsx'], this.pinning.generator);
    const child = fork(WORKER_PATH, [], { cwd: ROOT, execPath, execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const handle = new WorkerHandle(child);
    if (nice !== 0 && child.pid !== undefined)
      try {
        setPriority(child.pid, nice);
        handle.nice = nice;
      } catch {
        // not root (EACCES): the probe runs at the normal priority, and its step says so
      }
    this.#workers.add(handle);
    child.once('exit', () => this.#workers.delete(handle));
    return handle;
  }

  /** Asks a worker to close its connections and exit; kills it if it does not. */
  async stopWorker(worker: WorkerHandle): Promise<void> {
    worker.send({ type: 'close' });
    await ensureExit(worker.child, STOP_GRACE_MS);
  }

  /** SIGTERM (the CLI contract's graceful exit), then SIGKILL after a grace period. */
  async stopServer(server: SpawnedServer): Promise<void> {
    if (alive(server.child)) server.child.kill('SIGTERM');
    await ensureExit(server.child, STOP_GRACE_MS);
    const master = this.#nginx.get(server);
    if (master !== undefined) {
      // The server stops nginx on SIGTERM within its own deadline; a server that had to be killed left it behind.
      killNginxGroup(master);
      this.#nginx.delete(server);
    }
  }

  /** Stops every child still running. */
  async stopAll(): Promise<void> {
    await Promise.all([
      ...[...this.#workers].map((w) => this.stopWorker(w)),
      ...[...this.#servers].map((s) => this.stopServer(s)),
      ...[...this.#clusters].map((c) => this.stopCluster(c)),
    ]);
  }

  /** Synchronous last resort (process exit): SIGKILL whatever is left. */
  killNow(): void {
    for (const worker of this.#workers) if (alive(worker.child)) worker.child.kill('SIGKILL');
    for (const server of this.#servers) if (alive(server.child)) server.child.kill('SIGKILL');
    for (const master of this.#nginx.values()) killNginxGroup(master);
    for (const cluster of this.#clusters) cluster.killNow();
  }

  dispose(): void {
    this.#forgetExit();
  }
}

export interface ProbeReading {
  snapshot: StatsSnapshot;
  /** Bytes of earlier /stats answers this probe had read when it sent this request. */
  bytesBefore: number;
  /** performance.now() when the answer arrived. */
  wallMs: number;
}

export interface ProbeOptions {
  /** The certificate to trust when the url is https (the lab's). */
  ca?: string;
  /** Speak HTTP/2 (a server whose `http` is '2'); otherwise HTTP/1.1 keep-alive. */
  http2?: boolean;
}

/**
 * GET /stats over one keep-alive connection (HTTP/1.1, or one HTTP/2 session). The servers count
 * every byte their sockets write, the runner's own /stats answers included (except the floor's side
 * port), TLS records and handshakes too; the probe counts the bytes it read on its own TCP socket,
 * under any TLS (a TLS socket's bytesRead counts decrypted bytes only), so a step can take exactly
 * them out of the transport's bytes on the wire.
 */
export class StatsProbe {
  readonly #raw = new Set<Socket>();
  readonly #target: URL;
  readonly #agent: HttpAgent | null = null;
  #session: ClientHttp2Session | null = null;

  constructor(
    readonly url: string,
    readonly options: ProbeOptions = {},
  ) {
    this.#target = new URL(url);
    if (options.http2) return;
    const connect = () => this.#connect();
    const Base = this.#target.protocol === 'https:' ? HttpsAgent : HttpAgent;
    // The agent's own connection is replaced by one whose TCP socket the probe can count.
    this.#agent = new (class extends Base {
      override createConnection() {
        return connect();
      }
    })({ keepAlive: true, maxSockets: 1 });
  }

  get bytesRead(): number {
    let total = 0;
    for (const socket of this.#raw) total += socket.bytesRead;
    return total;
  }

  /** A TCP socket to the server, counted, wrapped in TLS for https. */
  #connect(alpn?: string): Socket {
    const { protocol, hostname, port } = this.#target;
    const raw = netConnect({ host: hostname, port: Number(port) });
    this.#raw.add(raw);
    if (protocol !== 'https:') return raw;
    return tlsConnect({ socket: raw, host: hostname, ca: this.options.ca, ALPNProtocols: alpn ? [alpn] : undefined });
  }

  async read(gc = false): Promise<ProbeReading> {
    const bytesBefore = this.bytesRead;
    const path = `${this.#target.pathname}${gc ? '?gc=1' : ''}`;
    const { status, body } = await (this.#agent ? this.#getHttp1(this.#agent, path) : this.#getHttp2(path));
    try {
      return { snapshot: JSON.parse(body) as StatsSnapshot, bytesBefore, wallMs: performance.now() };
    } catch (error) {
      throw new Error(`lab: /stats answered ${status} with ${body.slice(0, 100)}: ${(error as Error).message}`);
    }
  }

  #timedOut(): Error {
    return new Error(`lab: ${this.url} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`);
  }

  #getHttp1(agent: HttpAgent, path: string): Promise<{ status: number | undefined; body: string }> {
    const get = this.#target.protocol === 'https:' ? httpsGet : httpGet;
    return new Promise((resolve, reject) => {
      const req = get(this.#target, { path, agent, timeout: PROBE_TIMEOUT_MS }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('timeout', () => req.destroy(this.#timedOut()));
      req.on('error', reject);
    });
  }

  #getHttp2(path: string): Promise<{ status: number | undefined; body: string }> {
    if (!this.#session || this.#session.closed || this.#session.destroyed) {
      this.#session = http2Connect(this.#target.origin, { createConnection: () => this.#connect('h2') });
      // A failed session fails the request on it, which rejects the read; the session's own event must not crash the runner.
      this.#session.on('error', () => {});
    }
    const req = this.#session.request({ ':path': path });
    return new Promise((resolve, reject) => {
      let status: number | undefined;
      let body = '';
      req.setEncoding('utf8');
      req.setTimeout(PROBE_TIMEOUT_MS, () => req.close(constants.NGHTTP2_CANCEL));
      req.on('response', (headers) => (status = headers[':status']));
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => resolve({ status, body }));
      req.on('close', () => req.rstCode === constants.NGHTTP2_CANCEL && reject(this.#timedOut()));
      req.on('error', reject);
    });
  }

  close(): void {
    this.#agent?.destroy();
    this.#session?.destroy();
  }
}

/** The nodes' snapshots as one server's: counters, memory and CPU summed; `latestSeq` the lowest (what every node has sent). */
export function sumSnapshots(snapshots: readonly StatsSnapshot[]): StatsSnapshot {
  const sum = (pick: (s: StatsSnapshot) => number) => snapshots.reduce((total, s) => total + pick(s), 0);
  const [first] = snapshots;
  return {
    transport: first!.transport,
    pid: first!.pid,
    connections: sum((s) => s.connections),
    peakConnections: sum((s) => s.peakConnections),
    sockets: sum((s) => s.sockets),
    messagesSent: sum((s) => s.messagesSent),
    bytesWritten: sum((s) => s.bytesWritten),
    bytesRead: sum((s) => s.bytesRead),
    dropped: sum((s) => s.dropped),
    refused: sum((s) => s.refused),
    violations: sum((s) => s.violations),
    resumed: sum((s) => s.resumed),
    resets: sum((s) => s.resets),
    latestSeq: Math.min(...snapshots.map((s) => s.latestSeq)),
    rss: sum((s) => s.rss),
    heapUsed: sum((s) => s.heapUsed),
    heapTotal: sum((s) => s.heapTotal),
    external: sum((s) => s.external),
    cpuUserMicros: sum((s) => s.cpuUserMicros),
    cpuSystemMicros: sum((s) => s.cpuSystemMicros),
    gc: snapshots.every((s) => s.gc),
  };
}

/**
 * Every node's /stats read together, one keep-alive connection each, answered as one server's (sumSnapshots). Each
 * node serves /stats on its stream's port, so `bytesBefore` sums what the probe read from all of them and the step
 * takes exactly that out of the nodes' bytes on the wire.
 */
export class ClusterProbe {
  readonly #probes: StatsProbe[];

  constructor(statsUrls: readonly string[]) {
    this.#probes = statsUrls.map((url) => new StatsProbe(url));
  }

  async read(gc = false): Promise<ProbeReading> {
    const readings = await Promise.all(this.#probes.map((p) => p.read(gc)));
    return {
      snapshot: sumSnapshots(readings.map((r) => r.snapshot)),
      bytesBefore: readings.reduce((sum, r) => sum + r.bytesBefore, 0),
      wallMs: Math.max(...readings.map((r) => r.wallMs)),
    };
  }

  close(): void {
    for (const probe of this.#probes) probe.close();
  }
}
