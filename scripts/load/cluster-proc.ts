/**
 * A scale-out step's cluster, as processes: `servers/cluster/cli.ts` started as its own process (Redis, the publisher,
 * N nodes and nginx are its children), its ready line read, SIGTERM to stop it and its exit awaited. Its nodes' /stats
 * are read together as one server's (processes.ts ClusterProbe); Redis and the cluster process itself, which runs the publisher,
 * have no /stats, so their CPU comes from /proc (utime + stime in clock ticks, as nginx's: nginx-proc.ts).
 *
 * Should the cluster process have to be SIGKILLed (it ignored SIGTERM, or the runner is exiting), its own cleanup never
 * runs: Redis and nginx in their own process groups and the nodes would outlive it. Then they are killed by the pids
 * of the ready line, each only while it still is what it was (pids are reused).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { killNginxGroup } from '../../servers/proxy/nginx.ts';
import type { ClusterReadyLine } from '../../servers/cluster/cluster.ts';
import type { Transport } from '../../servers/transports.ts';
import { ROOT } from '../lib/paths.ts';
import type { StepPlan } from './aggregate.ts';
import { cpuTicks } from './nginx-proc.ts';
import { pinned } from './pinning.ts';
import type { LoadOptions } from './options.ts';

/** How the npm `cluster` script runs the cluster CLI, without npm in between. */
export const CLUSTER_COMMAND = [process.execPath, '--import', 'tsx', 'servers/cluster/cli.ts'];
/** Redis, the publisher, N nodes (tsx compiles each on start) and nginx, on two busy cores. */
const READY_TIMEOUT_MS = 60_000;
/** The cluster CLI's contract is 3 s from SIGTERM to exit; past this it is killed. */
const STOP_GRACE_MS = 5000;

export interface SpawnedCluster {
  ready: ClusterReadyLine;
  child: ChildProcess;
  /** SIGTERM, its exit awaited; SIGKILL after STOP_GRACE_MS, and then whatever it left behind. */
  stop(): Promise<void>;
  /** Synchronous last resort (the runner's exit): SIGKILL the cluster process and everything it started. */
  killNow(): void;
}

/** The cluster CLI arguments of a step: its rate, padding and seed, as a single server's. */
export function clusterArgs(plan: Pick<StepPlan, 'nodes' | 'rate' | 'padding'>, options: Pick<LoadOptions, 'seed'>): string[] {
  return ['--nodes', String(plan.nodes), '--rate', String(plan.rate), '--padding', String(plan.padding), '--seed', String(options.seed)];
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** /proc/<pid>/<file>, or null once the process is gone. */
function proc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILLs what a killed cluster process left: nodes (still lab servers), Redis's group (still redis-server), nginx's. */
function killLeftovers(ready: ClusterReadyLine): void {
  for (const node of ready.nodes) if (proc(node.pid, 'cmdline')?.includes('servers/cli.ts')) kill(node.pid, 'SIGKILL');
  if (proc(ready.redis.pid, 'comm')?.trim() === 'redis-server') kill(-ready.redis.pid, 'SIGKILL');
  killNginxGroup(ready.proxy.pid);
}

/** Starts `npm run cluster -- <transport> ...args` as a child (on `cores`, with everything it starts) and resolves its ready line. */
export async function spawnCluster(transport: Transport, args: string[], cores: readonly number[] | null = null): Promise<SpawnedCluster> {
  const [node, ...base] = CLUSTER_COMMAND;
  const [command, argv] = pinned(node!, [...base, transport, ...args], cores);
  const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  const ready = await new Promise<ClusterReadyLine>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      try {
        resolve(JSON.parse(line) as ClusterReadyLine);
      } catch {
        reject(new Error(`lab: the ${transport} cluster printed ${JSON.stringify(line)} instead of its ready line`));
      }
    });
    exited.then(() => reject(new Error(`lab: the ${transport} cluster exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`)));
    timer = setTimeout(
      () => reject(new Error(`lab: the ${transport} cluster printed no ready line within ${READY_TIMEOUT_MS / 1000} s: ${stderr.trim()}`)),
      READY_TIMEOUT_MS,
    );
  })
    .catch(async (error: Error) => {
      // Not ready: SIGTERM lets it stop whatever it started so far (it prints no ready line then); then make sure.
      if (alive(child)) child.kill('SIGTERM');
      const killer = setTimeout(() => alive(child) && child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killer);
      throw error;
    })
    .finally(() => clearTimeout(timer));

  let stopping: Promise<void> | undefined;
  return {
    ready,
    child,
    stop() {
      stopping ??= (async () => {
        if (alive(child)) child.kill('SIGTERM');
        let killed = false;
        const killer = setTimeout(() => {
          killed = alive(child);
          if (killed) child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
        // A clean exit stopped everything; otherwise its children were left without their parent's cleanup.
        if (killed || child.exitCode !== 0) killLeftovers(ready);
      })();
      return stopping;
    },
    killNow() {
      if (alive(child)) child.kill('SIGKILL');
      killLeftovers(ready);
    },
  };
}

/** Redis's and the cluster process's (the publisher's) CPU at one moment, clock ticks. */
export interface ClusterProcReading {
  redisTicks: number;
  publisherTicks: number;
  wallMs: number;
}

/** One /proc reading of Redis and the publisher; null when either is gone. */
export function readClusterProcs(ready: ClusterReadyLine): ClusterProcReading | null {
  const redisTicks = cpuTicks(ready.redis.pid);
  const publisherTicks = cpuTicks(ready.pid);
  if (redisTicks === null || publisherTicks === null) return null;
  return { redisTicks, publisherTicks, wallMs: performance.now() };
}
