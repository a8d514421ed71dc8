/**
 * The well-behaved clients an attack must not hurt: the lab's own Node clients (createClient) for
 * every transport that has one (trusting the lab certificate where the server is TLS), and for the
 * TCP floor a plain socket reading NDJSON lines. Each records the
 * seq of every quote it gets, so a gap (a lost, repeated or reordered quote) is counted, not guessed.
 */
import { connect } from 'node:net';
import { createClient, type ClientTransport } from '../../clients/index.ts';
import type { Quote } from '../../servers/contract.ts';
import { labCertificate } from '../../servers/tls.ts';
import { TRANSPORTS, type Transport } from '../../servers/transports.ts';
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
  if (!TRANSPORTS[transport].nodeClient) return tcpWatcher(ready.url);
  // A ready line with an SPKI hash: the server is TLS with the lab certificate (sse-h2 always is).
  const ca = ready.spki ? (await labCertificate()).cert : undefined;
  const client = createClient(transport as ClientTransport, { url: ready.url, ca });
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
