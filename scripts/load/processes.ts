/**
 * The runner's child processes and how it talks to them: servers through the CLI contract
 * (spawnServer), generator workers forked with `--import tsx`, and a /stats probe on one
 * keep-alive connection. Every child is registered so it is stopped on success, on error and on
 * Ctrl-C, and killed outright if the runner exits with any still alive.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, get } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Transport } from '../../servers/transports.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { spawnServer, type SpawnedServer } from '../lib/spawn-server.ts';
import { ROOT } from '../lib/paths.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** A child that ignores SIGTERM this long is killed. */
const STOP_GRACE_MS = 3000;

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
          `lab: generator worker exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for "${type}": ${this.#stderr.trim()}`,
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

/** Every child the runner started, so none outlives it. */
export class Children {
  readonly #servers = new Set<SpawnedServer>();
  readonly #workers = new Set<WorkerHandle>();
  readonly #onExit = () => this.killNow();

  constructor() {
    process.once('exit', this.#onExit);
  }

  async server(transport: Transport, args: string[]): Promise<SpawnedServer> {
    const server = await spawnServer(transport, args);
    this.#servers.add(server);
    server.child.once('exit', () => this.#servers.delete(server));
    return server;
  }

  worker(): WorkerHandle {
    const child = fork(WORKER_PATH, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const handle = new WorkerHandle(child);
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
  }

  /** Stops every child still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...[...this.#workers].map((w) => this.stopWorker(w)), ...[...this.#servers].map((s) => this.stopServer(s))]);
  }

  /** Synchronous last resort (process exit): SIGKILL whatever is left. */
  killNow(): void {
    for (const worker of this.#workers) if (alive(worker.child)) worker.child.kill('SIGKILL');
    for (const server of this.#servers) if (alive(server.child)) server.child.kill('SIGKILL');
  }

  dispose(): void {
    process.off('exit', this.#onExit);
  }
}

export interface ProbeReading {
  snapshot: StatsSnapshot;
  /** Bytes of earlier /stats answers this probe had read when it sent this request. */
  bytesBefore: number;
  /** performance.now() when the answer arrived. */
  wallMs: number;
}

/**
 * GET /stats over one keep-alive connection. The servers count every byte their sockets write,
 * the runner's own /stats answers included (except TCP's side port); the probe counts the bytes
 * it read, so a step can take them out of the transport's bytes on the wire.
 */
export class StatsProbe {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #sockets = new Set<Socket>();

  constructor(readonly url: string) {}

  get bytesRead(): number {
    let total = 0;
    for (const socket of this.#sockets) total += socket.bytesRead;
    return total;
  }

  read(gc = false): Promise<ProbeReading> {
    const bytesBefore = this.bytesRead;
    return new Promise((resolve, reject) => {
      const req = get(`${this.url}${gc ? '?gc=1' : ''}`, { agent: this.#agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve({ snapshot: JSON.parse(body) as StatsSnapshot, bytesBefore, wallMs: performance.now() });
          } catch (error) {
            reject(new Error(`lab: /stats answered ${res.statusCode} with ${body.slice(0, 100)}: ${(error as Error).message}`));
          }
        });
      });
      req.on('socket', (socket) => this.#sockets.add(socket));
      req.on('timeout', () => req.destroy(new Error(`lab: ${this.url} did not answer within 10 s`)));
      req.on('error', reject);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
