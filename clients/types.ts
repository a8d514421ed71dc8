/**
 * One client interface with one implementation per transport (sse.ts, ws.ts, socketio.ts, in
 * files of the same shape). Scenarios and tests use these and never import ws or socket.io.
 */
import { EventEmitter } from 'node:events';
import { now, type Quote, type Reset } from '../servers/contract.ts';
import type { Transport } from '../servers/transports.ts';

export interface ClientOptions {
  /** The server's url, as its ready line prints it. */
  url: string;
  /** `binary`: ws binary frames, socket.io Buffers, SSE base64 (?format=base64). Default `json`. */
  format?: 'json' | 'binary';
  /** PEM of a certificate to trust (the lab's self-signed one). Default: Node's CA store only. */
  ca?: string;
  /** Resume after this seq on the first connect. Default: none (fresh stream). */
  since?: number;
  /** Reconnect after an unexpected close. Default `true`. */
  reconnect?: boolean;
  /** ws and socket.io: ms before reconnecting (SSE follows the server's `retry:`). Default `1000` (RECONNECT_MS). */
  reconnectMs?: number;
  /** Extra request headers (Node clients only: a browser's EventSource cannot send any). Default none. */
  headers?: Record<string, string>;
  /** socket.io only: engine.io transports. Default socket.io's own, `['polling', 'websocket']`. */
  transports?: ('polling' | 'websocket')[];
  /**
   * Bind the client's sockets to this local address, e.g. 127.0.0.7: nginx's `hash $remote_addr` then sees distinct
   * clients. Default: the system's choice (127.0.0.1 on loopback).
   */
  localAddress?: string;
}

export interface Received {
  quote: Quote;
  /** now() when the message arrived; latency = receivedAt - quote.ts. */
  receivedAt: number;
  /** The message as it arrived: text (JSON or base64) or bytes. */
  raw: string | Uint8Array;
}

export interface Counters {
  quotes: number;
  /** Successful opens; reconnects = opens - 1. */
  opens: number;
  reconnects: number;
  /** `reset` messages: the server said quotes were lost from its replay buffer, or could not place the resume id (`reason`). */
  resets: number;
  errors: number;
}

export interface Pong {
  rttMs: number;
  serverTs: number;
}

/** A `reset`'s body (contract.ts): `reason` says whether quotes expired from the replay buffer or the id was ahead of the feed. */
export type ResetInfo = Reset;

export interface LabClient {
  readonly transport: Transport;
  readonly counters: Counters;
  /**
   * Highest seq received so far (0 before any), where SSE and ws resume. A reset with reason `ahead` (the server
   * restarted: its feed has not reached this id) sets it back to the server's firstAvailable - 1, its new numbering.
   */
  readonly lastSeq: number;
  /** Resolves on the first open; rejects (and stops) if that first attempt fails. */
  connect(): Promise<void>;
  on(event: 'quote', listener: (message: Received) => void): this;
  on(event: 'reset', listener: (info: ResetInfo) => void): this;
  on(event: 'open', listener: () => void): this;
  /** `cause`: what the library says ended it, where it says more than `reason` (socket.io: the failed request's answer). */
  on(event: 'close', listener: (info: { code?: number | string; reason?: string; cause?: string }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  /** A client-to-server round trip: ws ping message, socket.io ack, or POST /sse/ping. */
  ping(): Promise<Pong>;
  /** Closes for good (no reconnect). */
  close(): Promise<void>;
}

/** Bookkeeping every implementation shares: counters, lastSeq, events. */
export abstract class ClientBase extends EventEmitter {
  readonly counters: Counters = { quotes: 0, opens: 0, reconnects: 0, resets: 0, errors: 0 };
  lastSeq = 0;
  /** Where to resume before any quote: the `since` option, until an `ahead` reset replaces it. */
  #since: number | undefined;

  constructor(readonly options: ClientOptions) {
    super();
    this.#since = options.since;
    this.on('error', () => {}); // counted, never thrown: a run keeps going
  }

  protected opened(): void {
    this.counters.opens++;
    this.counters.reconnects = this.counters.opens - 1;
    this.emit('open');
  }

  protected received(quote: Quote, raw: string | Uint8Array): void {
    const receivedAt = now();
    this.counters.quotes++;
    if (quote.seq > this.lastSeq) this.lastSeq = quote.seq;
    this.emit('quote', { quote, receivedAt, raw } satisfies Received);
  }

  protected resetReceived(info: ResetInfo): void {
    this.counters.resets++;
    // The server's numbering restarted below ours: follow it, or the next resume would ask for an id it still cannot place.
    if (info.reason === 'ahead') this.lastSeq = this.#since = info.firstAvailable - 1;
    this.emit('reset', info);
  }

  /** Where the next connect resumes: the newest quote seen, else the `since` option (or what an `ahead` reset said). */
  protected resumePoint(): number | undefined {
    return this.lastSeq > 0 ? this.lastSeq : this.#since;
  }

  protected failed(error: Error): void {
    this.counters.errors++;
    this.emit('error', error);
  }
}
