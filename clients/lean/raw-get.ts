/**
 * One GET on a raw socket, for the lean readers that speak HTTP/1.1 by hand (sse.ts, and ws.ts and
 * socketio.ts through websocket.ts): the socket reads through `onread` into the shared READ_BUFFER
 * and its response is read by http1-response.ts, because node:http's client (and the `ws`
 * library's, on top of it) put every chunk through a stream and its events, which cost the
 * generator more per delivery than reading the quote did. The connect ends here once for all: an
 * error, a close or the deadline before the reader opened fails it; after the open, onClose is
 * called once, never before the caller has the reader; an https: or wss: url speaks TLS.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { now } from '../../servers/contract.ts';
import { CONNECT_TIMEOUT_MS } from '../constants.ts';
import { ResponseReader } from './http1-response.ts';
import { ConnectError, deadline, READ_BUFFER, type LeanOptions, type LeanReader, trusting } from './types.ts';

export interface RawGetHooks {
  /** The request's fields after Host, each ending in CRLF. */
  fields: string;
  /** Once the response head is read: throws a ConnectError to refuse the answer, else the reader opens. */
  accept(response: ResponseReader): void;
  /** Each piece of the body (a view of READ_BUFFER: copy what you keep), with its read's receive time. */
  onBody(piece: Buffer, receivedAt: number): void;
  /** What the connect waits for, for its ETIMEDOUT message ('response headers', '101'). */
  waitingFor: string;
  /** onClose's reason when the socket closes after the open with nothing said. */
  closedReason: string;
}

export class RawGet {
  readonly socket: Socket;
  /** The reader once the head is accepted: its connect time, and close() (no onClose follows). */
  readonly opened: Promise<LeanReader>;
  #open = false;
  /** Ended or closed: nothing more is handed on. */
  #closed = false;
  /** Closed by the caller (close()): no onClose follows, even one already on its way. */
  #closedByCaller = false;

  constructor(
    readonly options: LeanOptions,
    hooks: RawGetHooks,
  ) {
    const started = performance.now();
    const url = new URL(options.url);
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    let receivedAt = 0;
    let resolve!: (reader: LeanReader) => void;
    let reject!: (error: ConnectError) => void;
    this.opened = new Promise((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const response = new ResponseReader((piece) => {
      open();
      if (!this.#closed) hooks.onBody(piece, receivedAt); // nothing is handed on once the reader is closed
    });
    const open = () => {
      if (this.#open) return;
      disarm();
      hooks.accept(response);
      this.#open = true;
      resolve({ connectMs: performance.now() - started, close: () => this.close() });
    };
    const onread = {
      buffer: READ_BUFFER,
      /** `buffer` is READ_BUFFER; false pauses the socket (it is being destroyed). */
      callback(nread: number, buffer: Buffer): boolean {
        receivedAt = now();
        try {
          response.push(buffer.subarray(0, nread));
          if (response.status !== 0) open(); // a head with no body calls no onBody
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'UNKNOWN';
          socket.destroy(error instanceof ConnectError ? error : new ConnectError(code, (error as Error).message));
          return false;
        }
        if (!response.done) return !socket.destroyed;
        socket.destroy(); // the body ended by its framing: the stream is over
        return false;
      },
    };
    const target = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'), // an IPv6 literal without its brackets
      port: Number(url.port || (secure ? 443 : 80)),
      localAddress: options.localAddress,
      noDelay: true, // client pings and pongs leave at once, as the `ws` library sends them
      onread,
    };
    const socket: Socket = secure ? tlsConnect({ ...target, ...trusting(options.ca) }) : netConnect(target);
    this.socket = socket;
    const disarm = deadline(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, () =>
      socket.destroy(new ConnectError('ETIMEDOUT', `no ${hooks.waitingFor} in time`)),
    );
    socket.on('error', (error: NodeJS.ErrnoException) => {
      disarm();
      if (!this.#open) reject(error instanceof ConnectError ? error : new ConnectError(error.code ?? 'UNKNOWN', error.message));
      else this.ended(error.message);
    });
    socket.on('close', () => {
      disarm();
      if (!this.#open) reject(new ConnectError('ECONNRESET', `connection closed before the ${hooks.waitingFor}`));
      else this.ended(hooks.closedReason);
    });
    socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${hooks.fields}\r\n`);
  }

  /**
   * The connection is over after the open, for `reason`: onClose, once, unless close() came first. It is called on the
   * next turn of the event loop: the open and the end can come in one read (a 101 and a close frame), and the caller
   * must hold the reader first.
   */
  ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    setImmediate(() => {
      if (!this.#closedByCaller) this.options.onClose?.(reason);
    });
  }

  /** Closes now, without a closing handshake; no onClose call follows. */
  close(): void {
    this.#closed = true;
    this.#closedByCaller = true;
    this.socket.destroy();
  }
}
