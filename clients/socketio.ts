/**
 * socket.io client with forceNew, so every client is its own connection. Reconnection is the
 * library's; missed quotes come back through the server's connection state recovery.
 */
import { io, type Socket } from 'socket.io-client';
import { decodeBinary, now, type Quote } from '../servers/contract.ts';
import { PING_TIMEOUT_MS, RECONNECT_MS } from './constants.ts';
import { ClientBase, type ClientOptions, type LabClient, type Pong } from './types.ts';

export class SocketIoClient extends ClientBase implements LabClient {
  readonly transport = 'socketio';
  #socket?: Socket;

  constructor(options: ClientOptions) {
    super(options);
  }

  /** Whether socket.io restored the session (rooms and missed packets) on the last connect. */
  get recovered(): boolean {
    return this.#socket?.recovered ?? false;
  }

  connect(): Promise<void> {
    const delay = this.options.reconnectMs ?? RECONNECT_MS;
    const socket = io(this.options.url, {
      forceNew: true,
      reconnection: this.options.reconnect !== false,
      reconnectionDelay: delay,
      reconnectionDelayMax: delay,
      auth: { format: this.options.format ?? 'json' },
      ca: this.options.ca,
      extraHeaders: this.options.headers,
      ...(this.options.transports ? { transports: this.options.transports } : {}),
    });
    this.#socket = socket;
    socket.on('quote', (payload: Quote | ArrayBuffer | Buffer) => {
      if (payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
        const bytes = payload instanceof ArrayBuffer ? new Uint8Array(payload) : (payload as Uint8Array);
        this.received(decodeBinary(bytes), bytes);
      } else {
        this.received(payload, JSON.stringify(payload));
      }
    });
    socket.on('disconnect', (reason) => this.emit('close', { reason }));
    return new Promise((resolve, reject) => {
      let open = false;
      socket.on('connect', () => {
        open = true;
        this.opened();
        resolve();
      });
      socket.on('connect_error', (error) => {
        if (open) return this.failed(error);
        socket.disconnect();
        // engine.io keeps the underlying cause in `description` (e.g. "self-signed certificate"), and a refused
        // polling handshake's answer in `context` (e.g. {"code":4,"message":"LAB_CONNECTION_CAP"}).
        const { description, context } = error as { description?: { message?: string }; context?: { responseText?: unknown } };
        const cause = description?.message ?? (typeof context?.responseText === 'string' ? context.responseText : undefined);
        reject(new Error(`lab: socket.io connect failed: ${error.message}${cause ? ` (${cause})` : ''}`));
      });
    });
  }

  async ping(): Promise<Pong> {
    const t = now();
    const answer = (await this.#socket!.timeout(PING_TIMEOUT_MS).emitWithAck('ping', { t })) as { serverTs: number };
    return { rttMs: now() - t, serverTs: answer.serverTs };
  }

  async close(): Promise<void> {
    this.#socket?.disconnect();
  }
}
