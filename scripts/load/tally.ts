/**
 * Delivery accounting inside a generator worker: which (client, seq) pairs of the window
 * arrived, once or again, in order or not, and how late. The window is a range of sequence
 * numbers fixed before its first quote is published, so every client counts the same quotes
 * and nothing depends on when a message is read. One bit per (client, seq): 10k clients x 100
 * quotes is 125 KB.
 */
import { createHistogram, recordMs, type Histogram } from './histogram.ts';

const ALIVE_AT_WINDOW = 1;
const DONE = 2;
const CLOSED = 4;

export interface TallySnapshot {
  /** Clients open when the window was set. */
  clients: number;
  received: number;
  duplicated: number;
  outOfOrder: number;
  /** Clients of the window whose connection closed before they were done. */
  disconnected: number;
  negativeLatencies: number;
}

export class DeliveryTally {
  readonly latency: Histogram = createHistogram();
  received = 0;
  duplicated = 0;
  outOfOrder = 0;
  disconnected = 0;
  negativeLatencies = 0;
  #count = 0;
  #maxSeq = new Float64Array(64);
  #flags = new Uint8Array(64);
  #from = 0;
  #to = -1;
  #bytesPerClient = 0;
  #seen = new Uint8Array(0);
  #windowClients = 0;
  #done = 0;

  /** Registers a newly opened connection; returns its index. */
  add(): number {
    if (this.#count === this.#maxSeq.length) {
      const maxSeq = new Float64Array(this.#count * 2);
      maxSeq.set(this.#maxSeq);
      this.#maxSeq = maxSeq;
      const flags = new Uint8Array(this.#count * 2);
      flags.set(this.#flags);
      this.#flags = flags;
    }
    return this.#count++;
  }

  get armed(): boolean {
    return this.#to >= this.#from && this.#bytesPerClient > 0;
  }

  /**
   * Counts seqs from..to (inclusive) from now on, for the clients open now. Every count and the
   * latency histogram start again: a re-armed window must not carry receipts of the previous one.
   */
  window(from: number, to: number): void {
    this.received = 0;
    this.duplicated = 0;
    this.outOfOrder = 0;
    this.disconnected = 0;
    this.negativeLatencies = 0;
    this.latency.reset();
    this.#from = from;
    this.#to = to;
    this.#bytesPerClient = Math.ceil((to - from + 1) / 8);
    this.#seen = new Uint8Array(this.#bytesPerClient * this.#count);
    this.#windowClients = 0;
    this.#done = 0;
    for (let i = 0; i < this.#count; i++) {
      if (this.#flags[i]! & CLOSED) continue;
      this.#flags[i] = ALIVE_AT_WINDOW;
      this.#windowClients++;
    }
  }

  /** One quote on connection `client`. */
  record(client: number, seq: number, ts: number, receivedAt: number): void {
    const max = this.#maxSeq[client]!;
    if (seq > max) this.#maxSeq[client] = seq;
    const flags = this.#flags[client]!;
    if (!(flags & ALIVE_AT_WINDOW) || seq < this.#from || seq > this.#to) {
      if (seq >= this.#to) this.#markDone(client);
      return;
    }
    const bit = seq - this.#from;
    const byte = client * this.#bytesPerClient + (bit >> 3);
    const mask = 1 << (bit & 7);
    if (this.#seen[byte]! & mask) {
      this.duplicated++;
      return;
    }
    this.#seen[byte]! |= mask;
    this.received++;
    if (seq < max) this.outOfOrder++;
    if (!recordMs(this.latency, receivedAt - ts)) this.negativeLatencies++;
    if (seq === this.#to) this.#markDone(client);
  }

  /** Connection `client` closed; it can receive nothing more. */
  closed(client: number): void {
    const flags = this.#flags[client]!;
    this.#flags[client] = flags | CLOSED;
    if (flags & ALIVE_AT_WINDOW && !(flags & DONE)) {
      this.disconnected++;
      this.#markDone(client);
    }
  }

  /** Every client of the window has seen the window's last seq (or later) or closed. */
  get allDone(): boolean {
    return this.armed && this.#done >= this.#windowClients;
  }

  snapshot(): TallySnapshot {
    return {
      clients: this.#windowClients,
      received: this.received,
      duplicated: this.duplicated,
      outOfOrder: this.outOfOrder,
      disconnected: this.disconnected,
      negativeLatencies: this.negativeLatencies,
    };
  }

  #markDone(client: number): void {
    const flags = this.#flags[client]!;
    if (!(flags & ALIVE_AT_WINDOW) || flags & DONE) return;
    this.#flags[client] = flags | DONE;
    this.#done++;
  }
}
