/**
 * npm run express-overhead [-- --clients 2000]
 *
 * What express costs per open SSE stream. Method: start the lab's SSE server twice in its own
 * process (feed paused, heartbeat off), once with the stream on node:http (the default) and once
 * routed through express (--express-stream, article A's way); open N idle streams with the lean
 * reader; read heap after a forced GC before and after; report (after - before) / N. Three runs
 * each, median and spread. Loopback only; bounded by N and a 60 s connect deadline per run.
 */
import { parseArgs } from 'node:util';
import { connect } from '../clients/lean/sse.ts';
import { GC_MIN_INTERVAL_MS, type StatsSnapshot } from '../servers/stats.ts';
import { numberFlag } from '../servers/options.ts';
import { spawnServer } from './lib/spawn-server.ts';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '2000' }, runs: { type: 'string', default: '3' } } });
const clients = numberFlag('clients', values.clients)!;
const runs = numberFlag('runs', values.runs)!;

/** Heap after a forced GC; the server runs one a second at most, so a reading without it is asked again. */
async function heap(statsUrl: string): Promise<number> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const snapshot = (await (await fetch(`${statsUrl}?gc=1`)).json()) as StatsSnapshot;
    if (snapshot.gc) return snapshot.heapUsed;
    await new Promise((resolve) => setTimeout(resolve, GC_MIN_INTERVAL_MS));
  }
  throw new Error('lab: the server ran no GC for ?gc=1 (started without --stats-gc?)');
}

async function perStream(args: string[]): Promise<number> {
  const server = await spawnServer('sse', ['--rate', '0', '--heartbeat', 'off', '--stats-gc', ...args]);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await heap(server.ready.stats);
    const deadline = Date.now() + 60_000;
    const readers = [];
    for (let i = 0; i < clients && Date.now() < deadline; i++) readers.push(await connect({ url: server.ready.url, onQuote() {} }));
    const after = await heap(server.ready.stats);
    for (const reader of readers) reader.close();
    return (after - before) / readers.length;
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [label, args] of [
  ['node:http stream (default)', []],
  ['express route (--express-stream)', ['--express-stream']],
] as const) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await perStream([...args]));
  console.log(
    `${label.padEnd(34)} heap per idle stream at ${clients}: median ${Math.round(median(samples))} B ` +
      `(runs: ${samples.map(Math.round).join(', ')})`,
  );
}
