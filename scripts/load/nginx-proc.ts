/**
 * nginx's own cost, read from Linux /proc while the load runner drives a proxied step: the master
 * (the pid in the server's ready line) and its workers (the master's children,
 * /proc/<pid>/task/<pid>/children). Memory is each worker's VmRSS (/proc/<pid>/status); CPU is
 * utime + stime (/proc/<pid>/stat, fields 14 and 15) in clock ticks of 1/CLK_TCK s, 10 ms at the
 * usual 100 Hz: a window needs some hundred ms of nginx CPU before the figure means much, so the
 * ticks are kept beside the milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nginxProcessTree } from '../../servers/proxy/nginx.ts';

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (`getconf CLK_TCK`; 100 on Linux almost everywhere). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Resident memory of one process, bytes (VmRSS); null once it is gone. */
export function rssBytes(pid: number): number | null {
  const line = read(`/proc/${pid}/status`)
    ?.split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.split(/\s+/)[1]) * 1024 : null;
}

/** utime + stime of one process, clock ticks; null once it is gone. */
export function cpuTicks(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** nginx's processes at one moment: their CPU ticks and the memory of master and workers. */
export interface NginxReading {
  pids: number[];
  /** Master and workers together, clock ticks. */
  ticks: number;
  masterRssBytes: number;
  /** The workers' VmRSS summed (they hold the connections). */
  workersRssBytes: number;
  wallMs: number;
}

/** One reading of every nginx process under `master`; null when any of them could not be read (nginx gone). */
export function readNginx(master: number): NginxReading | null {
  const pids = nginxProcessTree(master);
  if (pids.length < 2) return null;
  const ticks = pids.map(cpuTicks);
  const rss = pids.map(rssBytes);
  if (ticks.some((t) => t === null) || rss.some((r) => r === null)) return null;
  return {
    pids,
    ticks: (ticks as number[]).reduce((sum, t) => sum + t, 0),
    masterRssBytes: rss[0]!,
    workersRssBytes: (rss.slice(1) as number[]).reduce((sum, r) => sum + r, 0),
    wallMs: performance.now(),
  };
}

/** worker_connections kept beside two per client: nginx's listening socket counts against it, and a few to spare. */
const SPARE_CONNECTIONS = 32;

/**
 * The most clients one nginx can proxy: each takes two of its worker_connections (the client's
 * connection and nginx's to the server). `workerConnections` is nginx's own budget
 * (servers/proxy/nginx.ts nginxFileBudget, from the hard RLIMIT_NOFILE).
 */
export function proxyClientCap(workerConnections: number): number {
  return Math.floor((workerConnections - SPARE_CONNECTIONS) / 2);
}
