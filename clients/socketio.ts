/**
 * socket.io client with forceNew, so every client is its own connection. Reconnection is the
 * library's; missed quotes come back through the server's connection state recovery. A local
 * address to bind goes to both engine.io transports: long-polling requests through an http(s)
 * Agent (xmlhttprequest-ssl takes only `agent`), the WebSocket through ws's own `localAddress`.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
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

  /** The engine.io transport it is on now (`polling`, `websocket`: upgraded), or null before the first open. */
  get engineTransport(): string | null {
    return this.#socket?.io.engine?.transport?.name ?? null;
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
      ...this.#bind(),
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
    socket.on('disconnect', (reason, description) => {
      const cause = description && causeOf(description);
      this.emit('close', { reason, ...(cause ? { cause } : {}) });
    });
    return new Promise((resolve, reject) => {
      let open = false;
      socket.on('connect', () => {
        open = true;
        this.opened();
        resolve();
      });
      socket.on('connect_error', (error) => {
        const failure = new Error(`lab: socket.io connect failed: ${causeOf(error)}`);
        if (open) return this.failed(failure);
        socket.disconnect();
        reject(failure);
      });
    });
  }

  /** engine.io options that bind both transports to options.localAddress (none without it). */
  #bind(): Partial<ManagerOptions & SocketOptions> {
    const { localAddress, url } = this.options;
    if (!localAddress) return {};
    // keepAlive off, as engine.io's own `agent: false`: a connection per long-poll request, each one balanced anew.
    const agent = url.startsWith('https') ? new HttpsAgent({ localAddress }) : new HttpAgent({ localAddress });
    return { agent, localAddress } as unknown as Partial<ManagerOptions & SocketOptions>;
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

/**
 * An engine.io error with its underlying cause: `description` holds it (e.g. "self-signed certificate", or the HTTP
 * status a long-poll got) and `context` a refused request's answer (e.g. {"code":1,"message":"Session ID unknown"}).
 */
function causeOf(error: Error | { message?: string; description?: unknown; context?: unknown }): string {
  const { message, description, context } = error as { message?: string; description?: unknown; context?: { responseText?: unknown } };
  const status = typeof description === 'number' ? `HTTP ${description}` : undefined;
  const detail = (description as { message?: string } | undefined)?.message;
  const body = typeof context?.responseText === 'string' && context.responseText !== '' ? context.responseText : undefined;
  const cause = [status, detail, body].filter(Boolean).join(' ');
  return `${message ?? String(error)}${cause ? ` (${cause})` : ''}`;
}
