/**
 * What the harness reads from a server process: /stats (with a forced GC where the server allows
 * one), the process's own RSS from /proc (which answers even when /stats hangs), and how a SIGTERM
 * ends it. Every read is bounded in time; a read that fails is recorded as null.
 */
import { readFile } from 'node:fs/promises';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { requestIn } from '../lib/raw/any-http.ts';
import type { ReadyLine, SpawnedServer } from '../lib/spawn-server.ts';
import type { MemoryReading, Shutdown } from './types.ts';

/** How long a /stats read may take before it counts as no answer. */
const STATS_TIMEOUT_MS = 3000;
/** The contract allows one forced GC per second; a read inside that second gets `gc: false`, so wait and ask again. */
const GC_RETRY_MS = 1100;
/** After SIGTERM, how long to wait before SIGKILL: past the contract's 2 s, so a slow exit is measured, not cut short. */
export const SIGKILL_AFTER_MS = 6000;

/** GET /stats in the server's own HTTP version: raw HTTP/1.1 bytes, or HTTP/2 trusting the lab certificate (sse-h2). */
export async function readStats(ready: ReadyLine, gc = false): Promise<StatsSnapshot | null> {
  const path = `${new URL(ready.stats).pathname}${gc ? '?gc=1' : ''}`;
  const answer = await requestIn(ready, 'GET', path, [], undefined, { timeoutMs: STATS_TIMEOUT_MS });
  if (answer.kind !== 'response' || answer.status !== 200) return null;
  try {
    return JSON.parse(answer.body.toString('utf8')) as StatsSnapshot;
  } catch {
    return null;
  }
}

/** A snapshot taken right after a forced GC, when the server grants one within three tries. */
export async function readStatsAfterGc(ready: ReadyLine): Promise<StatsSnapshot | null> {
  let snapshot: StatsSnapshot | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    snapshot = await readStats(ready, true);
    if (!snapshot || snapshot.gc) return snapshot;
    await new Promise((resolve) => setTimeout(resolve, GC_RETRY_MS));
  }
  return snapshot;
}

/** VmRSS and VmHWM (peak RSS) of a process, bytes; null once it is gone. */
export async function procMemory(pid: number): Promise<{ rss: number; peakRss: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
  } catch {
    return null;
  }
}

export async function memoryReading(snapshot: StatsSnapshot | null, pid: number): Promise<MemoryReading> {
  const proc = await procMemory(pid);
  return { heapUsed: snapshot?.heapUsed ?? null, rss: proc?.rss ?? snapshot?.rss ?? null, gc: snapshot?.gc ?? false };
}

export function isAlive(server: SpawnedServer): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

/** SIGTERM, then the time until the process exited and how; SIGKILL if it outlives SIGKILL_AFTER_MS. */
export async function stopTimed(server: SpawnedServer): Promise<Shutdown> {
  const { child } = server;
  if (!isAlive(server)) return { exitCode: child.exitCode, signal: child.signalCode, ms: 0, exitedBefore: true, killed: false };
  const started = performance.now();
  const exited = server.stop('SIGTERM');
  const patience = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SIGKILL_AFTER_MS));
  const inTime = await Promise.race([exited.then(() => true), patience]);
  const ms = Math.round(performance.now() - started);
  if (!inTime) await server.stop('SIGKILL');
  return { exitCode: child.exitCode, signal: child.signalCode, ms, exitedBefore: false, killed: !inTime };
}
