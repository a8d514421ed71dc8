/**
 * Which cores the load runner's processes run on. On one machine the server and the load generator compete for the same
 * cores, and the scheduler moving them around adds noise to every CPU figure; so the server's side (the server, the nginx
 * it starts, a cluster and everything it starts) gets the last core to itself, and the client side (the generator workers,
 * the one-client twin, the runner itself) the others. Pinning is `taskset` (util-linux): a child is started through
 * `taskset -c <cores>`, which execs the command, so the pid is the command's and every thread it starts inherits the mask.
 * With one core, or without a working taskset, nothing is pinned and the plan says why.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  /** `taskset`: children started through it; `none`: not pinned (see note). */
  method: 'taskset' | 'none';
  /** Cores this process may use (os.availableParallelism). */
  cores: number;
  /** The server side's cores (server, its nginx, a cluster); `null` when not pinned. */
  server: number[] | null;
  /** The client side's cores (generator workers, the twin, the runner); `null` when not pinned. */
  generator: number[] | null;
  note: string;
}

/** Whether `taskset -c 0 true` runs here (a container may forbid sched_setaffinity, a system may lack util-linux). */
function tasksetWorks(): boolean {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** The last core for the server side, the rest for the client side; no pinning on one core or without taskset. */
export function planPinning(cores = availableParallelism(), works = tasksetWorks): Pinning {
  if (cores < 2)
    return { method: 'none', cores, server: null, generator: null, note: 'one core: server and generator share it, nothing pinned' };
  if (!works())
    return {
      method: 'none',
      cores,
      server: null,
      generator: null,
      note: 'taskset (util-linux) is missing or not permitted here: nothing pinned, server and generator share every core',
    };
  const server = [cores - 1];
  const generator = Array.from({ length: cores - 1 }, (_, i) => i);
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
