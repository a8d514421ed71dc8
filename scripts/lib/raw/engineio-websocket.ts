/**
 * engine.io v4 over a WebSocket (the `ws` package: the frames are well-formed, the packets are
 * whatever the caller writes), for packets socket.io-client would never send. It answers the
 * server's pings as a client does and keeps every text packet, so a reader can wait for one.
 */
import WebSocket from 'ws';
import { HOST } from './connection.ts';
import { WEBSOCKET } from './engineio.ts';

export class EngineSocket {
  readonly ws: WebSocket;
  /** Every text packet the server sent, in order. */
  readonly packets: string[] = [];
  /** Resolves with the close code once the WebSocket is closed (1006 for a refused upgrade). */
  readonly closed: Promise<number>;
  ended = false;
  /** How far next() has read `packets`. */
  #read = 0;
  #wake = () => {};

  constructor(port: number) {
    this.ws = new WebSocket(`ws://${HOST}:${port}${WEBSOCKET}`, { perMessageDeflate: false });
    this.ws.on('error', () => {}); // a refused or cut connection shows in `closed`
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return;
      const packet = data.toString('utf8');
      if (packet === '2') this.ws.send('3');
      this.packets.push(packet);
      this.#wake();
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code: number) => {
        this.ended = true;
        this.#wake();
        resolve(code);
      }),
    );
  }

  /** Sends packets while the socket is open: strings as text frames, bytes as binary ones. */
  send(items: readonly (string | Uint8Array)[]): void {
    for (const item of items) if (this.ws.readyState === WebSocket.OPEN) this.ws.send(item, { binary: typeof item !== 'string' });
  }

  /** The next packet, from where the last call stopped, that passes `test`; undefined once the socket ended or after `timeoutMs`. */
  async next(test: (packet: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#read < this.packets.length) {
        const packet = this.packets[this.#read++]!;
        if (test(packet)) return packet;
      }
      if (this.ended || Date.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.ws.terminate();
  }
}
