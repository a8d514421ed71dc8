/**
 * Runs one attack against one real server process and records what happened.
 *
 * Method: start the server through the command-line contract (spawnServer) with quotes flowing at
 * RATE/s and forced GCs allowed (--stats-gc); connect two well-behaved clients and wait until both
 * receive quotes; read the baseline (heap after a forced GC, VmRSS, counters); run the attack; keep
 * the clients listening for AFTER_MS more; read memory and counters again with the attack's
 * connections still open; close the clients; SIGTERM and time the exit. Every process and socket is
 * stopped in a finally block, also when the attack or the server fails.
 */
import { spawnServer } from '../lib/spawn-server.ts';
import { SERVER_DEFAULTS } from '../../servers/options.ts';
import type { StatsSnapshot } from '../../servers/stats.ts';
import { isAlive, memoryReading, procMemory, readStats, readStatsAfterGc, stopTimed } from './measure.ts';
import type { Attack, AttackRecord, Outcome } from './types.ts';
import { gapsIn, watch, type Watcher } from './watchers.ts';

/** Quotes per second: enough that a gap or a stall shows within a second, small next to any attack. */
export const RATE = 20;
/** How long the well-behaved clients keep listening after the attack ended. */
const AFTER_MS = 1500;
/** Quotes each well-behaved client must have before the baseline: the feed reaches them. */
const WARM_QUOTES = 3;
const WARM_TIMEOUT_MS = 10_000;
/** The documented memory bound per client: its unsent bytes (maxBufferedBytes) plus one inbound message (maxPayloadBytes). */
const PER_CLIENT_BOUND = SERVER_DEFAULTS.maxBufferedBytes + SERVER_DEFAULTS.maxPayloadBytes;
const STDERR_TAIL = 1500;

async function warm(watchers: Watcher[]): Promise<void> {
  const deadline = Date.now() + WARM_TIMEOUT_MS;
  while (!watchers.every((w) => w.seqs.length >= WARM_QUOTES)) {
    if (Date.now() > deadline) throw new Error(`lab: the well-behaved clients got no quotes within ${WARM_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A counter's change; null when a snapshot is missing or (a server before `violations`) lacks the counter. */
function delta(after: StatsSnapshot | null, before: StatsSnapshot | null, key: 'violations' | 'refused' | 'dropped'): number | null {
  const a = after?.[key];
  const b = before?.[key];
  return typeof a === 'number' && typeof b === 'number' ? a - b : null;
}

export async function runAttack<A extends object>(attack: Attack<A>): Promise<AttackRecord<A>> {
  const started = performance.now();
  const serverArgs = ['--rate', String(RATE), '--stats-gc', ...(attack.serverArgs ?? [])];
  const server = await spawnServer(attack.transport, serverArgs);
  let stderr = '';
  server.child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)));
  const { ready } = server;
  const watchers: Watcher[] = [];
  const held: (() => void)[] = [];
  try {
    const connected = await Promise.allSettled([watch(attack.transport, ready), watch(attack.transport, ready)]);
    for (const result of connected) if (result.status === 'fulfilled') watchers.push(result.value);
    const failed = connected.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await warm(watchers);
    const before = await readStatsAfterGc(ready);
    const baseline = await memoryReading(before, ready.pid);

    let outcome: Outcome<A> | null = null;
    let attackError: string | null = null;
    try {
      outcome = await attack.run({
        ready,
        port: Number(new URL(ready.url).port),
        statsPort: Number(new URL(ready.stats).port),
        stats: (gc = false) => readStats(ready, gc),
        hold: (teardown) => held.push(teardown),
      });
    } catch (error) {
      attackError = (error as Error).message;
    }
    const atEnd = watchers.map((w) => w.seqs.length);
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS));

    const after = await readStatsAfterGc(ready);
    const afterMemory = await memoryReading(after, ready.pid);
    const peakRss = (await procMemory(ready.pid))?.peakRss ?? null;
    const serverUp = isAlive(server) && after !== null;
    await Promise.all(watchers.map((w) => w.close()));
    const shutdown = await stopTimed(server);
    return {
      id: attack.id,
      defect: attack.defect,
      transport: attack.transport,
      title: attack.title,
      serverArgs,
      attack: outcome?.attack ?? '',
      answer: outcome?.answer ?? {},
      attackError,
      counters: {
        violations: delta(after, before, 'violations'),
        refused: delta(after, before, 'refused'),
        dropped: delta(after, before, 'dropped'),
      },
      serverUp,
      wellBehaved: {
        received: watchers.map((w) => w.seqs.length),
        gaps: watchers.reduce((sum, w) => sum + gapsIn(w.seqs), 0),
        afterAttack: Math.min(...watchers.map((w, i) => w.seqs.length - atEnd[i]!)),
        reconnects: watchers.reduce((sum, w) => sum + w.reconnects(), 0),
      },
      memory: { baseline, after: afterMemory, peakRss, boundBytes: (outcome?.held ?? 0) * PER_CLIENT_BOUND },
      shutdown,
      stderrTail: stderr.trim(),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await Promise.allSettled(watchers.map((w) => w.close()));
    if (isAlive(server)) await server.stop('SIGKILL');
    for (const teardown of held) teardown();
  }
}
