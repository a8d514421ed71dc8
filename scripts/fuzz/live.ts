/**
 * Live server processes under fuzz: each transport's server runs once per fleet through the
 * documented command line (spawnServer, port 0), with a watching client attached. A server that
 * exits is a crash: the fleet reports it with the tail of the process's stderr and starts a fresh
 * one for the next input, so one crash never hides the next finding (and shrinking still works).
 */
import { type ClientHttp2Session, connect as connectHttp2 } from 'node:http2';
import { labCertificate } from '../../servers/tls.ts';
import { TRANSPORTS, type Transport } from '../../servers/transports.ts';
import { h2Request } from '../lib/raw/h2.ts';
import { spawnServer, type ReadyLine, type SpawnedServer } from '../lib/spawn-server.ts';
import { Watcher } from './watcher.ts';

/** Arguments every fuzzed server runs with: a brisk feed, so the watcher's continuity check sees quotes flow. */
const SERVER_ARGS = ['--rate', '20'];
const STATS_TIMEOUT_MS = 2000;
/** How long a dying process gets to exit (and flush its stderr) once /stats stopped answering. */
const EXIT_GRACE_MS = 1000;
/** stderr kept per process, and the tail of it a failure shows. */
const STDERR_KEEP = 32_000;
const STDERR_TAIL = 2000;

/** The server process exited or stopped answering /stats. */
class ServerDown extends Error {
  override name = 'ServerDown';
}

export class LiveServer {
  stderr = '';
  readonly ready: ReadyLine;
  /** Port of the HTTP side (the TCP floor's side /stats port). */
  readonly httpPort: number;
  readonly #spawned: SpawnedServer;
  readonly #exited: Promise<void>;
  #statsSession?: ClientHttp2Session;
  watcher?: Watcher;

  private constructor(spawned: SpawnedServer) {
    this.#spawned = spawned;
    this.ready = spawned.ready;
    this.httpPort = Number(new URL(spawned.ready.stats).port);
    spawned.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEEP)));
    this.#exited = new Promise((resolve) => spawned.child.once('exit', () => resolve()));
  }

  static async start(transport: Transport): Promise<LiveServer> {
    const server = new LiveServer(await spawnServer(transport, SERVER_ARGS));
    try {
      server.watcher = await Watcher.start(transport, server.ready);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get alive(): boolean {
    const child = this.#spawned.child;
    return child.exitCode === null && child.signalCode === null;
  }

  /** How the process ended, with the tail of its stderr. */
  describeExit(): string {
    const { exitCode, signalCode } = this.#spawned.child;
    const tail = this.stderr.trim().slice(-STDERR_TAIL);
    const how = signalCode ?? `code ${exitCode}`;
    return `the ${this.ready.transport} server (pid ${this.ready.pid}) exited (${how}); stderr:\n${tail || '(empty)'}`;
  }

  /** GET /stats: 200 and JSON within a short timeout, from a process that is still running. */
  async stats(): Promise<{ latestSeq: number }> {
    let problem: string;
    try {
      if (!this.alive) throw new Error('process gone');
      const { status, text } = await this.#getStats();
      if (status !== 200) throw new Error(`/stats answered ${status}: ${text.slice(0, 200)}`);
      const json = JSON.parse(text) as { latestSeq?: unknown };
      if (typeof json.latestSeq !== 'number') throw new Error(`/stats answered without latestSeq: ${text.slice(0, 200)}`);
      return { latestSeq: json.latestSeq };
    } catch (error) {
      problem = (error as Error).message;
    }
    await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, EXIT_GRACE_MS).unref())]);
    throw new ServerDown(this.alive ? `the ${this.ready.transport} server is running but /stats failed: ${problem}` : this.describeExit());
  }

  /** GET /stats in the server's HTTP version: Node's fetch, or HTTP/2 trusting the lab certificate (sse-h2). */
  async #getStats(): Promise<{ status: number | string; text: string }> {
    if (TRANSPORTS[this.ready.transport].http !== '2') {
      const response = await fetch(this.ready.stats, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
      return { status: response.status, text: await response.text() };
    }
    // One session for every /stats read: a TLS handshake per read would be most of its cost on a busy machine. The
    // server closes a session idle for 10 s, maybe just as a read goes out on it: then the read is tried once more, anew.
    const { origin } = new URL(this.ready.stats);
    let failure = '';
    for (const fresh of [false, true]) {
      const session = this.#statsSession;
      if (fresh || !session || session.closed || session.destroyed) {
        session?.destroy();
        this.#statsSession = connectHttp2(origin, { ca: (await labCertificate()).cert });
        this.#statsSession.on('error', () => {}); // seen by the read on it
      }
      const answer = await h2Request(origin, { ':path': '/stats' }, undefined, STATS_TIMEOUT_MS, { session: this.#statsSession });
      if (answer.kind === 'response') return { status: answer.status, text: answer.body.toString('utf8') };
      failure = answer.kind === 'closed' ? `closed (${answer.error})` : answer.kind;
    }
    return { status: 'no answer', text: failure };
  }

  /** Stops the watcher and the process (SIGTERM, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    this.#statsSession?.destroy();
    await this.watcher?.stop().catch(() => {});
    if (!this.alive) return;
    const stopped = this.#spawned.stop();
    const lingering = setTimeout(() => this.#spawned.child.kill('SIGKILL'), 5000);
    await stopped;
    clearTimeout(lingering);
  }
}

/** One live server per transport, started on first use and restarted after a crash. */
export class Fleet {
  readonly #servers = new Map<Transport, LiveServer>();
  readonly #dead = new WeakSet<LiveServer>();
  /** Starts in progress: callers at the same moment share one process. */
  readonly #starting = new Map<Transport, Promise<LiveServer>>();
  /** Server processes found dead (each is replaced on next use). */
  crashes = 0;

  /** Starts these transports' servers side by side. */
  async start(transports: readonly Transport[]): Promise<void> {
    await Promise.all(transports.map((transport) => this.server(transport)));
  }

  /** The running server for this transport, starting one if there is none or the last one died. */
  async server(transport: Transport): Promise<LiveServer> {
    const current = this.#servers.get(transport);
    if (current?.alive) return current;
    const starting = this.#starting.get(transport) ?? this.#replace(transport, current);
    this.#starting.set(transport, starting);
    return starting.finally(() => this.#starting.delete(transport));
  }

  async #replace(transport: Transport, dead: LiveServer | undefined): Promise<LiveServer> {
    if (dead) {
      this.reap();
      await dead.stop();
    }
    const fresh = await LiveServer.start(transport);
    this.#servers.set(transport, fresh);
    return fresh;
  }

  alive(transport: Transport): boolean {
    return this.#servers.get(transport)?.alive ?? false;
  }

  /** Counts every server that has died since the last look. */
  reap(): void {
    for (const server of this.#servers.values()) {
      if (server.alive || this.#dead.has(server)) continue;
      this.#dead.add(server);
      this.crashes++;
    }
  }

  /** After a batch: the same server still answers /stats and its watcher has every quote up to the newest. */
  async verify(transport: Transport): Promise<void> {
    const server = this.#servers.get(transport);
    if (!server) return;
    const { latestSeq } = await server.stats();
    await server.watcher!.verify(latestSeq);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#starting.values());
    this.reap();
    await Promise.all([...this.#servers.values()].map((server) => server.stop()));
    this.#servers.clear();
  }
}
