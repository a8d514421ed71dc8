/**
 * The wire contract: what a quote is and its two encodings. Servers, clients, scenarios and
 * the load runner all import this one file, and the README repeats it.
 *
 * Latency = receive time - `ts`, both read from `now()` on the same host.
 */

/** The ten ticker symbols the feed walks over, in the order the PRNG picks them by index. */
export const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'META', 'TSLA', 'NFLX', 'AMD', 'INTC'] as const;

export interface Quote {
  /** Global sequence number: 1, 2, 3 ... one per quote across all symbols. */
  seq: number;
  symbol: string;
  /** Price in dollars with two decimals (the feed walks integer cents). */
  price: number;
  /** Send time, ms since the epoch, fractional: performance.timeOrigin + performance.now(). */
  ts: number;
  /** Optional filler of `padding` ASCII 'x' characters, for payload-size sweeps. */
  pad?: string;
}

/** A high-resolution wall clock, comparable across processes on one host. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** JSON text encoding: keys always in this order, `pad` only when padding is on. */
export function encodeJson(quote: Quote): string {
  return JSON.stringify(quote);
}

/**
 * Binary encoding, little-endian, 32-byte header then the padding:
 *
 *   offset  size  type      field
 *   0       4     uint32    seq
 *   4       8     float64   ts (ms since epoch)
 *   12      8     float64   price
 *   20      8     ASCII     symbol, NUL-padded
 *   28      4     uint32    pad length n
 *   32      n     bytes     pad ('x' bytes)
 */
export const BINARY_HEADER_BYTES = 32;
const SYMBOL_OFFSET = 20;
const SYMBOL_BYTES = 8;

export function encodeBinary(quote: Quote): Buffer {
  const padLength = quote.pad?.length ?? 0;
  const buf = Buffer.alloc(BINARY_HEADER_BYTES + padLength);
  buf.writeUInt32LE(quote.seq, 0);
  buf.writeDoubleLE(quote.ts, 4);
  buf.writeDoubleLE(quote.price, 12);
  buf.write(quote.symbol, SYMBOL_OFFSET, SYMBOL_BYTES, 'ascii');
  buf.writeUInt32LE(padLength, 28);
  if (padLength > 0) buf.fill(0x78, BINARY_HEADER_BYTES);
  return buf;
}

export function decodeBinary(bytes: Uint8Array): Quote {
  if (bytes.byteLength < BINARY_HEADER_BYTES) {
    throw new RangeError(`binary quote needs ${BINARY_HEADER_BYTES} bytes, got ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const symbolBytes = bytes.subarray(SYMBOL_OFFSET, SYMBOL_OFFSET + SYMBOL_BYTES);
  const symbolEnd = symbolBytes.indexOf(0);
  const symbol = String.fromCharCode(...symbolBytes.subarray(0, symbolEnd === -1 ? SYMBOL_BYTES : symbolEnd));
  const padLength = view.getUint32(28, true);
  if (bytes.byteLength !== BINARY_HEADER_BYTES + padLength) {
    throw new RangeError(`binary quote says ${padLength} pad bytes but carries ${bytes.byteLength - BINARY_HEADER_BYTES}`);
  }
  const quote: Quote = {
    seq: view.getUint32(0, true),
    symbol,
    price: view.getFloat64(12, true),
    ts: view.getFloat64(4, true),
  };
  if (padLength > 0) quote.pad = 'x'.repeat(padLength);
  return quote;
}

/**
 * Why a resume starts with a `reset` instead of the quote after the client's id:
 * - `expired`: the id is older than the replay buffer; quotes lastSeen+1 .. firstAvailable-1 (`missed` of them) are gone.
 * - `ahead`: the id is ahead of this server's feed, which cannot place it: one from a previous process (a restart starts
 *   the feed again at 1) or a made-up one. The stream goes on at `firstAvailable`, the feed's next quote, which is at or
 *   below `lastSeen`: the client's seq goes back, and it takes firstAvailable - 1 as its new last seen (on SSE the reset
 *   event carries that as its `id:`, so EventSource resumes from it too). `missed` is 0: the server has no quote after
 *   lastSeen, so it can name none as missed (the same seed makes the same quotes again).
 */
export type ResetReason = 'expired' | 'ahead';

/** A reset's body: SSE `event: reset` data, or a ws control message with `type: 'reset'`. */
export interface Reset {
  /** The client's id (Last-Event-ID, ?lastEventId=, ?since=). */
  lastSeen: number;
  /** The seq of the next quote this stream carries. */
  firstAvailable: number;
  /** Quotes lost between lastSeen and firstAvailable: firstAvailable - lastSeen - 1 when expired, 0 when ahead. */
  missed: number;
  reason: ResetReason;
}

/** Control messages of the two-way transports (ws text frames, socket.io acks). */
export type ControlMessage =
  | { type: 'pong'; t: number; serverTs: number }
  | ({ type: 'reset' } & Reset)
  | { type: 'subscribed'; symbols: string[] }
  | { type: 'error'; code: string; message: string };

/** What a client may send on ws (and, as the payload of `ping`, on socket.io and POST /sse/ping). */
export type ClientMessage = { type: 'ping'; t: number } | { type: 'subscribe'; symbols: string[] };
