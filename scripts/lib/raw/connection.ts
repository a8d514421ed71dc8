/**
 * A raw TCP connection to the lab's loopback servers that keeps everything it receives in one
 * buffer, so a caller writes exact bytes (a request line no HTTP client would send, a WebSocket
 * frame that lies about its length) and reads the answer with pure parsers: `until(parse)` waits
 * until the parser has what it needs, the peer closes, or the deadline passes. A connection the
 * server refuses, resets or never answers is an answer too, never an exception.
 */
import { connect, type Socket } from 'node:net';

export const HOST = '127.0.0.1';
/** How long a server on loopback gets to answer: past this, its silence is the answer. */
export const ANSWER_MS = 3000;

export class RawConnection {
  buffer = Buffer.alloc(0);
  /** The peer ended, reset or refused the connection (or we destroyed it). */
  closed = false;
  /** The socket error that ended it: ECONNREFUSED, ECONNRESET... */
  error: string | undefined;
  /** For what the buffer cannot do: pause() to stop reading, write()'s backpressure, bytesWritten. */
  readonly socket: Socket;
  #wake = () => {};

  private constructor(port: number) {
    this.socket = connect({ port, host: HOST, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.#wake();
    });
    const end = () => {
      this.closed = true;
      this.#wake();
    };
    this.socket.on('end', end);
    this.socket.on('close', end);
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error.code ?? error.message;
      end();
    });
  }

  /** Connects; bytes written before the connection is up are sent once it is. */
  static open(port: number): RawConnection {
    return new RawConnection(port);
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Half-closes: the server sees the end of what this client will send. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Drops the first n bytes (a parsed message). */
  consume(n: number): void {
    this.buffer = this.buffer.subarray(n);
  }

  /**
   * Resolves with `parse(buffer, closed)` as soon as that is not undefined; undefined when the
   * deadline passes first; rejects with what parse throws. parse is called again on every chunk
   * and on close. One wait at a time per connection.
   */
  until<T>(parse: (buffer: Buffer, closed: boolean) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#wake = () => {};
        settle();
      };
      const check = () => {
        try {
          const result = parse(this.buffer, this.closed);
          if (result !== undefined) finish(() => resolve(result));
        } catch (error) {
          finish(() => reject(error)); // thrown from a socket event, it would be uncaught
        }
      };
      const timer = setTimeout(() => finish(() => resolve(undefined)), timeoutMs);
      this.#wake = check;
      check();
    });
  }
}
