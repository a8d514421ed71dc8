/**
 * SSE client on the `eventsource` package (the WHATWG parser and reconnection, not hand-written):
 * it reconnects by itself after the server's `retry:` and sends Last-Event-ID. A CA to trust goes
 * through undici's dispatcher, since Node's fetch takes no `agent`; so do a local address to bind
 * and HTTP/2 (clients/sse-h2.ts is this client with `allowH2`, its stream and its POSTs
 * multiplexed on one connection).
 */
import { EventSource, type FetchLike } from 'eventsource';
import { Agent, fetch as undiciFetch } from 'undici';
import { decodeBinary, now, type Quote } from '../servers/contract.ts';
import type { ClientTransport } from '../servers/transports.ts';
import { PING_TIMEOUT_MS } from './constants.ts';
import { ClientBase, type ClientOptions, type LabClient, type Pong, type ResetInfo } from './types.ts';

export class SseClient extends ClientBase implements LabClient {
  /** The EventSource transport it speaks: `sse`, or `sse-h2` with allowH2. */
  readonly transport: ClientTransport = 'sse';
  #source?: EventSource;
  readonly #dispatcher?: Agent;
  readonly #fetch: typeof fetch;

  /** `allowH2`: let undici negotiate HTTP/2 (ALPN), which takes a dispatcher of its own: Node's global fetch does not. */
  constructor(options: ClientOptions, { allowH2 = false } = {}) {
    super(options);
    // localAddress is the Agent's own option: undici passes its value (or null) over any `connect.localAddress`.
    const { ca, localAddress } = options;
    const dispatcher = ca || allowH2 || localAddress ? new Agent({ allowH2, localAddress, connect: { ca } }) : undefined;
    this.#dispatcher = dispatcher;
    const base = (
      dispatcher ? (url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher }) : fetch
    ) as typeof fetch;
    const headers = options.headers;
    this.#fetch = headers
      ? (url, init) => base(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } })
      : base;
  }

  connect(): Promise<void> {
    const url = new URL(this.options.url);
    if (this.options.format === 'binary') url.searchParams.set('format', 'base64');
    const since = this.resumePoint();
    if (since !== undefined) url.searchParams.set('lastEventId', String(since));
    const source = new EventSource(url, { fetch: this.#fetch as unknown as FetchLike });
    this.#source = source;
    source.addEventListener('quote', (event) => {
      const data = event.data as string;
      const quote = this.options.format === 'binary' ? decodeBinary(Buffer.from(data, 'base64')) : (JSON.parse(data) as Quote);
      this.received(quote, data);
    });
    source.addEventListener('reset', (event) => this.resetReceived(JSON.parse(event.data as string) as ResetInfo));
    return new Promise((resolve, reject) => {
      let open = false;
      source.onopen = () => {
        open = true;
        this.opened();
        resolve();
      };
      source.onerror = (event) => {
        const error = new Error(`lab: SSE error${event.code ? ` (HTTP ${event.code})` : ''}: ${event.message ?? 'connection lost'}`);
        if (!open || this.options.reconnect === false) source.close();
        if (!open) return reject(error);
        this.failed(error);
        if (source.readyState === EventSource.CLOSED) this.emit('close', { code: event.code, reason: event.message });
      };
    });
  }

  async ping(): Promise<Pong> {
    const t = now();
    const response = await this.#fetch(new URL('/sse/ping', this.options.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ t }),
      signal: AbortSignal.timeout(PING_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`lab: POST /sse/ping answered ${response.status}`);
    const pong = (await response.json()) as { serverTs: number };
    return { rttMs: now() - t, serverTs: pong.serverTs };
  }

  async close(): Promise<void> {
    this.#source?.close();
    await this.#dispatcher?.close();
    this.emit('close', { reason: 'client closed' });
  }
}
