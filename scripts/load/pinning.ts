/**
 * Which cores the load runner's processes run on. On one machine the server and the load generator compete for the same
 * cores, and the scheduler moving them around adds noise to every CPU figure; so the server's side (the server, the nginx
 * it starts, a cluster and everything it starts) gets the last core to itself, and the client side (the generator workers,
 * the one-client twin, the runner itself) the others. Pinning is `taskset` (util-linux): a child is started through
 * `taskset -c <cores>`, which execs the command, so the pid is the command's and every thread it starts inherits the mask.
 * With one core, or without a working taskset, nothing is pinned and the plan says why.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** `taskset`: children started through it; `none`: not pinned (see note). */
  method: 'taskset' | 'none';
  /** Cores this process may use (allowedCpus). */
  cores: number;
  /** The server side's cores (server, its nginx, a cluster); `null` when not pinned. */
  server: number[] | null;
  /** The client side's cores (generator workers, the twin, the runner); `null` when not pinned. */
  generator: number[] | null;
  note: string;
}

/**
 * The CPUs this process may run on, from the kernel's record (/proc/self/status `Cpus_allowed_list`, e.g. `0-3` or
 * `0,2`: a cpuset need not start at 0 nor be contiguous); 0..n-1 where there is no /proc.
 */
export function allowedCpus(): number[] {
  try {
    const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (list)
      return list.split(',').flatMap((part) => {
        const [from, to = from] = part.split('-').map(Number);
        return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
      });
  } catch {
    // not Linux
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** Whether taskset can put a process on each of these core lists (a container may forbid it, a system lack util-linux). */
function tasksetWorks(...lists: number[][]): boolean {
  return lists.every((cores) => spawnSync('taskset', ['-c', cores.join(','), 'true'], { stdio: 'ignore' }).status === 0);
}

/** The last allowed CPU for the server side, the others for the client side; no pinning on one core or without taskset. */
export function planPinning(cpus = allowedCpus(), works = tasksetWorks): Pinning {
  const cores = cpus.length;
  const server = cpus.slice(-1);
  const generator = cpus.slice(0, -1);
  if (cores < 2)
    return { method: 'none', cores, server: null, generator: null, note: 'one core: server and generator share it, nothing pinned' };
  if (!works(server, generator))
    return {
      method: 'none',
      cores,
      server: null,
      generator: null,
      note: 'taskset (util-linux) is missing or not permitted here: nothing pinned, server and generator share every core',
    };
  return {
    method: 'taskset',
    cores,
    server,
    generator,
    note:
      `server side (server, its nginx, a cluster) on core ${server.join(',')}; client side (generator workers, the one-client ` +
      `twin, the runner) on core${generator.length > 1 ? 's' : ''} ${generator.join(',')}`,
  };
}

/** `command args` started on `cores` through taskset; unchanged when `cores` is null. */
export function pinned(command: string, args: readonly string[], cores: readonly number[] | null): [string, string[]] {
  return cores ? ['taskset', ['-c', cores.join(','), command, ...args]] : [command, [...args]];
}

/** Moves this process and all its threads onto `cores` (the runner, onto the client side); false if taskset refused. */
export function pinSelf(cores: readonly number[] | null): boolean {
  if (!cores) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cores.join(','), String(process.pid)], { stdio: 'ignore' }).status === 0;
}
