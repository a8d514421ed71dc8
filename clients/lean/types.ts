/**
 * Lean load-generator readers: one file per transport (sse.ts, ws.ts, socketio.ts, tcp.ts ...) of
 * the same shape, `connect(options): Promise<LeanReader>`. They exist because the full clients
 * (clients/*.ts, the `eventsource` package, socket.io-client) cost several times the CPU and
 * memory per connection of a minimal reader (FACTS.md, "Client weight"); a load generator built
 * on them measures itself, not the server. A lean reader does only what a load step needs:
 * open one connection (optionally from a chosen 127.0.0.x source address), hand every quote's
 * `seq` and `ts` with its receive time to a callback, answer the protocol's keep-alive, time a
 * round trip (ws, socket.io) and close, over TLS when the url's scheme says so (trusting `ca`).
 * No reconnection, no resume, JSON encoding only: a load step counts a dropped connection as lost
 * quotes instead of hiding it.
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import { PING_TIMEOUT_MS } from '../constants.ts';

export interface LeanOptions {
  /**
   * The server's url as its ready line prints it: http(s)://.../sse, ws(s)://.../ws, http(s)://host:port (socket.io),
   * tcp://host:port or tls://host:port (the floor). Its scheme says whether to speak TLS.
   */
  url: string;
  /** Certificate(s) to trust over TLS (the lab's self-signed one, PEM). Default: Node's CA store only. */
  ca?: string | Buffer;
  /** Source address to connect from (e.g. 127.0.0.7), to spread clients over several addresses. Default: the OS's choice. */
  localAddress?: string;
  /** Give up on opening after this many ms (counted as error code ETIMEDOUT). Default `10000` (CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Every quote: its seq, its send time `ts` and `receivedAt` = now() when the bytes arrived. */
  onQuote(seq: number, ts: number, receivedAt: number): void;
  /** The connection ended after it had opened (server closed it, network error). At most once, never before connect() resolves. */
  onClose?(reason: string): void;
}

export interface LeanReader {
  /** ms from the start of connect() to open (SSE: 200 headers; ws: 101; socket.io: CONNECT ack; tcp: TCP connect), TLS included. */
  readonly connectMs: number;
  /** One client-to-server round trip, resolving its round-trip time in ms (ws ping message, socket.io ack). */
  ping?(): Promise<number>;
  /** Closes now, without a closing handshake; no onClose call follows. */
  close(): void;
}

/**
 * A failed connect with a short stable code, so a load step can say what stopped it: a system
 * error code (EMFILE, EADDRNOTAVAIL, ECONNREFUSED, ECONNRESET, ETIMEDOUT ...), `HTTP_<status>`,
 * `HTTP_MALFORMED`, `WS_HANDSHAKE`, `WS_MALFORMED`, `WS_<close code>` (socket.io closed before its
 * CONNECT ack) or the server's `LAB_*` code.
 */
export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`lab: connect failed (${code}): ${message}`);
    this.name = 'ConnectError';
  }
}

/** The code to count a connect failure under. */
export function errorCode(error: unknown): string {
  if (error instanceof ConnectError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'UNKNOWN';
}

/**
 * One round trip (a ws ping message, a socket.io ack): `send()`, then the answer registered in `waiting` under `key`
 * resolves its round-trip time in ms; none within PING_TIMEOUT_MS rejects, naming the `answer` it waited for.
 */
export function roundTrip<K>(waiting: Map<K, (rttMs: number) => void>, key: K, answer: string, send: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const disarm = deadline(PING_TIMEOUT_MS, () => {
      waiting.delete(key);
      reject(new Error(`lab: no ${answer} within ${PING_TIMEOUT_MS / 1000} s`));
    });
    waiting.set(key, (rttMs) => {
      disarm();
      waiting.delete(key);
      resolve(rttMs);
    });
    send();
  });
}

/** Runs `onTimeout` unless disarmed within `ms`; the timer never holds the process open. */
export function deadline(ms: number, onTimeout: () => void): () => void {
  const timer = setTimeout(onTimeout, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * The buffer the raw-socket readers (tcp.ts, and raw-get.ts under sse.ts, ws.ts and socketio.ts) read into, through
 * net's `onread`: Node hands each read to its callback before it starts the next, on any socket, so one buffer serves
 * them all as long as a callback copies out what it keeps past its return.
 */
export const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const secureContexts = new Map<string | Buffer, SecureContext>();

/**
 * TLS options that trust `ca` (none: Node's CA store), with one SecureContext per CA for every connection of the
 * process: passing `ca` alone builds a context per connection, about a millisecond of each TLS connect here.
 */
export function trusting(ca: string | Buffer | undefined): { secureContext?: SecureContext } {
  if (ca === undefined) return {};
  let secureContext = secureContexts.get(ca);
  if (!secureContext) secureContexts.set(ca, (secureContext = createSecureContext({ ca })));
  return { secureContext };
}
