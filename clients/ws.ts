/**
 * Raw WebSocket client on `ws`. The WebSocket protocol has no reconnection and no resume, so
 * this file writes them: on an unexpected close, wait reconnectMs, reopen with ?since=<last seq>.
 * That code (#scheduleReconnect and the since parameter) is what SSE and socket.io give for free.
 */
import WebSocket from 'ws';
import { decodeBinary, now, type ControlMessage, type Quote } from '../servers/contract.ts';
import { PING_TIMEOUT_MS, RECONNECT_MS } from './constants.ts';
import { ClientBase, type ClientOptions, type LabClient, type Pong } from './types.ts';

export class WsClient extends ClientBase implements LabClient {
  readonly transport = 'ws';
  #socket?: WebSocket;
  #closing = false;
  #timer?: NodeJS.Timeout;
  readonly #pings = new Map<number, (pong: Pong) => void>();

  constructor(options: ClientOptions) {
    super(options);
  }

  connect(): Promise<void> {
    this.#closing = false;
    return this.#open();
  }

  #open(): Promise<void> {
    const url = new URL(this.options.url);
    if (this.options.format === 'binary') url.searchParams.set('format', 'binary');
    const since = this.resumePoint();
    if (since !== undefined) url.searchParams.set('since', String(since));
    const { ca, headers, localAddress } = this.options;
    const socket = new WebSocket(url, { ca, headers, localAddress, perMessageDeflate: false });
    this.#socket = socket;
    socket.on('message', (data: Buffer, isBinary) => this.#onMessage(data, isBinary));
    return new Promise((resolve, reject) => {
      let open = false;
      socket.once('open', () => {
        open = true;
        this.opened();
        resolve();
      });
      socket.on('error', (error) => (open ? this.failed(error) : reject(new Error(`lab: WebSocket connect failed: ${error.message}`))));
      socket.on('close', (code, reason) => {
        this.emit('close', { code, reason: reason.toString() });
        if (open) this.#scheduleReconnect();
      });
    });
  }

  #scheduleReconnect(): void {
    if (this.#closing || this.options.reconnect === false) return;
    this.#timer = setTimeout(() => {
      this.#open().catch((error: Error) => {
        this.failed(error);
        this.#scheduleReconnect();
      });
    }, this.options.reconnectMs ?? RECONNECT_MS);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.received(decodeBinary(data), data);
    const text = data.toString('utf8');
    const message = JSON.parse(text) as Quote | ControlMessage;
    if (!('type' in message)) return this.received(message, text);
    if (message.type === 'pong') this.#pings.get(message.t)?.({ rttMs: now() - message.t, serverTs: message.serverTs });
    else if (message.type === 'reset') this.resetReceived(message);
    else if (message.type === 'error') this.failed(new Error(`lab: server said ${message.code}: ${message.message}`));
  }

  /** Sends any client message (ping, subscribe, or anything, for the bad-input tests). */
  send(message: unknown): void {
    this.#socket?.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  ping(): Promise<Pong> {
    const t = now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pings.delete(t);
        reject(new Error(`lab: no pong within ${PING_TIMEOUT_MS / 1000} s`));
      }, PING_TIMEOUT_MS);
      this.#pings.set(t, (pong) => {
        clearTimeout(timer);
        this.#pings.delete(t);
        resolve(pong);
      });
      this.send({ type: 'ping', t });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000, 'client closed');
    });
  }
}
