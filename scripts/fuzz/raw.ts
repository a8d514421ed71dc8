/**
 * A raw TCP connection to 127.0.0.1 that keeps everything it receives in one buffer, so a test
 * writes exact bytes (a request line no HTTP client would send, a WebSocket frame that lies about
 * its length) and reads the answer with pure parsers: `until(parse)` waits until the parser has
 * what it needs, the peer closes, or the deadline passes.
 */
import { connect, type Socket } from 'node:net';

export class RawConnection {
  buffer = Buffer.alloc(0);
  /** The peer ended or reset the connection. */
  closed = false;
  readonly #socket: Socket;
  #wake = () => {};

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.#wake();
    });
    const end = () => {
      this.closed = true;
      this.#wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end); // ECONNRESET: the server cut the connection, which is an answer too
  }

  static open(port: number, timeoutMs = 2000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error(`no TCP connect to port ${port} within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawConnection(socket));
      });
    });
  }

  write(bytes: Buffer | string): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Half-closes: the server sees the end of what this client will send. */
  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Drops the first n bytes (a parsed message). */
  consume(n: number): void {
    this.buffer = this.buffer.subarray(n);
  }

  /**
   * Resolves with `parse(buffer, closed)` as soon as that is not undefined; undefined when the
   * deadline passes first. parse is called again on every chunk and on close.
   */
  until<T>(parse: (buffer: Buffer, closed: boolean) => T | undefined, timeoutMs: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const result = parse(this.buffer, this.closed);
        if (result === undefined) return false;
        finish(result);
        return true;
      };
      const finish = (result: T | undefined) => {
        clearTimeout(timer);
        this.#wake = () => {};
        resolve(result);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.#wake = check;
      check();
    });
  }
}
