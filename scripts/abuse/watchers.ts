/**
 * The well-behaved clients an attack must not hurt: the lab's own Node clients (createClient) for
 * SSE, ws and socket.io, and for the TCP floor a plain socket reading NDJSON lines. Each records the
 * seq of every quote it gets, so a gap (a lost, repeated or reordered quote) is counted, not guessed.
 */
import { connect } from 'node:net';
import { createClient } from '../../clients/index.ts';
import type { Quote } from '../../servers/contract.ts';
import type { Transport } from '../../servers/transports.ts';
import type { ReadyLine } from '../lib/spawn-server.ts';

export interface Watcher {
  /** Seq of every quote received, in arrival order. */
  readonly seqs: number[];
  reconnects(): number;
  close(): Promise<void>;
}

function tcpWatcher(url: string): Promise<Watcher> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const seqs: number[] = [];
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) seqs.push((JSON.parse(line) as Quote).seq);
  });
  const watcher: Watcher = { seqs, reconnects: () => 0, close: async () => void socket.destroy() };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(watcher));
    socket.once('error', reject);
  });
}

export async function watch(transport: Transport, ready: ReadyLine): Promise<Watcher> {
  if (transport === 'tcp') return tcpWatcher(ready.url);
  const client = createClient(transport, { url: ready.url });
  const seqs: number[] = [];
  client.on('quote', ({ quote }) => seqs.push(quote.seq));
  await client.connect();
  return { seqs, reconnects: () => client.counters.reconnects, close: () => client.close() };
}

/** Places where a quote is not the one after the previous: lost, repeated or out of order. */
export function gapsIn(seqs: readonly number[]): number {
  let gaps = 0;
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1]! + 1) gaps++;
  return gaps;
}
