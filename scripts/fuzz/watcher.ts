/**
 * The well-behaved client that stays connected while a server is fuzzed: the lab's own client
 * (createClient) for every transport that has one (trusting the lab certificate where the server is
 * TLS), the lean line reader for the TCP floor. It notes the first gap or duplicate in the quote
 * sequence and any close, and `verify` checks it has caught up with the server's newest quote:
 * fuzz input must never cost an honest client a quote.
 */
import { type ClientTransport, createClient, type LabClient } from '../../clients/index.ts';
import { connectLean, type LeanReader } from '../../clients/lean/index.ts';
import { labCertificate } from '../../servers/tls.ts';
import { TRANSPORTS, type Transport } from '../../servers/transports.ts';
import type { ReadyLine } from '../lib/spawn-server.ts';

/** How long the watcher gets to catch up with the server's newest quote. */
const CATCH_UP_MS = 3000;

export class Watcher {
  lastSeq = 0;
  /** The first thing that went wrong, or null. */
  problem: string | null = null;
  #stopping = false;
  #close: () => Promise<void> = async () => {};

  private constructor() {}

  static async start(transport: Transport, ready: ReadyLine): Promise<Watcher> {
    const watcher = new Watcher();
    const { url } = ready;
    const onQuote = (seq: number) => watcher.#quote(seq);
    const onClose = (reason: string) => watcher.#fail(`the watching client was disconnected (${reason})`);
    // A ready line with an SPKI hash: the server is TLS with the lab certificate (sse-h2 always is).
    const ca = ready.spki ? (await labCertificate()).cert : undefined;
    if (!TRANSPORTS[transport].nodeClient) {
      const reader: LeanReader = await connectLean(transport, { url, ca, onQuote, onClose });
      watcher.#close = async () => reader.close();
    } else {
      const client: LabClient = createClient(transport as ClientTransport, { url, ca, reconnect: false });
      client.on('quote', (message) => onQuote(message.quote.seq));
      client.on('close', (info) => onClose(String(info.reason ?? info.code ?? 'closed')));
      client.on('error', (error) => watcher.#fail(`the watching client got an error: ${error.message}`));
      await client.connect();
      watcher.#close = () => client.close();
    }
    return watcher;
  }

  #quote(seq: number): void {
    if (this.lastSeq > 0 && seq !== this.lastSeq + 1) this.#fail(`the watching client got quote ${seq} after ${this.lastSeq}`);
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  #fail(problem: string): void {
    if (!this.#stopping) this.problem ??= problem;
  }

  /** Throws unless the sequence so far was consecutive and reaches `latestSeq` within CATCH_UP_MS. */
  async verify(latestSeq: number): Promise<void> {
    const deadline = Date.now() + CATCH_UP_MS;
    while (!this.problem && this.lastSeq < latestSeq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.problem) throw new Error(this.problem);
    if (this.lastSeq < latestSeq) {
      throw new Error(`the watching client is at quote ${this.lastSeq}, ${CATCH_UP_MS} ms after the server had sent ${latestSeq}`);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#close();
  }
}
