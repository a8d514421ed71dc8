/**
 * The SSE protocol itself, apart from the HTTP version that carries it: servers/sse.ts serves it
 * over HTTP/1.1 (node:http, express), servers/sse-h2.ts over HTTP/2 (node:http2's compatibility
 * API). Both hand this module their request and response objects, which have the same shape on
 * either version, so the event format, resume, reset, heartbeat, the slow-consumer bound, the
 * CORS allowlist and the ping's answers are written once:
 *
 *   retry: 3000            (once, on connect)
 *   id: 17
 *   event: quote
 *   data: {"seq":17,...}   (or the binary layout in base64 with ?format=base64)
 *
 * with a `:` comment heartbeat. Resume from the Last-Event-ID header or ?lastEventId= (the
 * polyfill's way); a resume point older than the replay buffer, or ahead of the feed (a previous
 * process's id, after a restart), gets an `event: reset` first, saying which (contract.ts, Reset).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { now } from './contract.ts';
import { errorBody, type LabErrorCode } from './errors.ts';
import { type Frame, parseSeq, type QuoteFeed, resetOf } from './feed.ts';
import { attachFeed, type DropMode } from './listen.ts';
import { originAllowed, type ServerOptions } from './options.ts';
import type { ServerStats } from './stats.ts';

export type SseFormat = 'json' | 'base64';

/**
 * A client's stream as the shared code writes to it. node:http's ServerResponse and node:http2's
 * Http2ServerResponse are both one, so neither server wraps its response.
 */
export interface SseSink {
  write(chunk: string | Buffer): unknown;
  /**
   * Bytes accepted but not yet sent (the response's, or on HTTP/2 the stream's, queue): what maxBufferedBytes bounds.
   * On HTTP/2, bytes inside the client's flow-control window (which the client sets, up to 2 GiB) have already left
   * this queue for the session's; a stalled stream still fills it once that window or the socket is full.
   */
  readonly writableLength: number;
  /** Ends the response; on a stream, the clean way (the client reconnects). */
  end(): unknown;
  end(text: string): unknown;
  /** Tears the stream down: HTTP/1.1 closes the socket, HTTP/2 resets the one stream and leaves the session. */
  destroy(): unknown;
}

/** What the shared code reads of a request, on either HTTP version. */
export interface SseRequest {
  readonly method?: string;
  readonly headers: IncomingHttpHeaders;
}

/** What the shared code does with a response, on either HTTP version. */
export interface SseResponse extends SseSink {
  setHeader(name: string, value: string): unknown;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  /** node:http holds the head until the first write, and this sends it; node:http2's writeHead sends it at once. */
  flushHeaders?(): void;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * A stream's response headers on any HTTP version. HTTP/1.1 adds `Connection: keep-alive`;
 * HTTP/2 forbids connection-specific headers (RFC 9113 8.2.2), and node throws on them.
 */
export const SSE_HEADERS: OutgoingHttpHeaders = {
  'Content-Type': 'text/event-stream',
  // no-transform: compression middleware and proxies must not buffer or re-encode the stream.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

export const NOT_FOUND_HINT = 'try GET /sse, POST /sse/ping or GET /stats';

export function sendError(res: SseResponse, status: number, code: LabErrorCode, message: string, headers: OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(errorBody(code, message));
}

/**
 * One quote as an SSE event, its bytes made once per quote per format and shared by every client: write(string)
 * would encode the UTF-8 again for every client.
 */
function sseEvent(frame: Frame, format: SseFormat): Buffer {
  return frame.memo(`sse-${format}`, (f) => {
    const data = format === 'json' ? f.json : f.binary.toString('base64');
    return Buffer.from(`id: ${f.quote.seq}\nevent: quote\ndata: ${data}\n\n`);
  });
}

/**
 * Explicit CORS allowlist: an allowed Origin is reflected with credentials, never `*`; any other
 * gets 403. Answers preflights itself. Returns true when the request should go on.
 */
export function checkCors(req: SseRequest, res: SseResponse, allowOrigins: readonly string[], stats: ServerStats): boolean {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  if (!originAllowed(origin, allowOrigins)) {
    stats.refused++;
    sendError(res, 403, 'LAB_ORIGIN_REFUSED', `origin ${origin} is not on the allowlist`);
    return false;
  }
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Content-Type, Last-Event-ID',
      'Access-Control-Max-Age': '600',
    });
    res.end();
    return false;
  }
  return true;
}

/** What a body-parser error means for the client: status, code and message. */
export function bodyError(err: { status?: number; type?: string }, maxPayloadBytes: number): [number, LabErrorCode, string] {
  switch (err.type) {
    case 'entity.too.large':
      return [413, 'LAB_PAYLOAD_TOO_LARGE', `body over ${maxPayloadBytes} bytes`];
    case 'entity.parse.failed':
      return [400, 'LAB_BAD_MESSAGE', 'body is not valid JSON'];
    case 'encoding.unsupported':
      return [415, 'LAB_UNSUPPORTED_ENCODING', 'send the body without Content-Encoding, or gzip, deflate or br'];
    case 'charset.unsupported':
      return [415, 'LAB_UNSUPPORTED_ENCODING', 'send the body as UTF-8 JSON'];
    default: {
      const status = err.status !== undefined && err.status >= 400 && err.status < 500 ? err.status : 400;
      return [status, 'LAB_BAD_REQUEST', 'the request body could not be read'];
    }
  }
}

export const PING_HINT = 'send {"t": <number>}';

/** POST /sse/ping's answer to a parsed body: a pong carrying its `t`, or null when the body has no numeric `t`. */
export function pongFor(body: unknown): { type: 'pong'; t: number; serverTs: number } | null {
  const t = (body as { t?: unknown } | undefined)?.t;
  return typeof t === 'number' ? { type: 'pong', t, serverTs: now() } : null;
}

interface SseClient {
  sink: SseSink;
  format: SseFormat;
}

/**
 * Every open SSE stream of one server: opening one (format, connection cap, retry, resume or
 * reset, replay), the broadcast of each quote, the heartbeat, and the drop of a client whose
 * unsent bytes pass maxBufferedBytes. `responseHeaders` are the stream's, as its HTTP version allows.
 */
export class SseStreams {
  readonly #clients = new Set<SseClient>();
  #heartbeat?: NodeJS.Timeout;
  #detach?: () => void;

  readonly responseHeaders: OutgoingHttpHeaders;

  constructor(
    readonly feed: QuoteFeed,
    readonly options: ServerOptions,
    readonly stats: ServerStats,
    headers: OutgoingHttpHeaders,
  ) {
    // --no-accel-buffering: the stream as a server that never heard of nginx sends it.
    const { 'X-Accel-Buffering': _, ...unmarked } = headers;
    this.responseHeaders = options.accelBufferingHeader ? headers : unmarked;
  }

  /** GET /sse, once the target has parsed and CORS has let it through. */
  open(req: SseRequest, res: SseResponse, query: URLSearchParams): void {
    const { options, stats } = this;
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'base64') return sendError(res, 400, 'LAB_BAD_FORMAT', 'format is json or base64');
    if (this.#clients.size >= options.maxConnections) {
      stats.refused++;
      return sendError(res, 503, 'LAB_CONNECTION_CAP', `${options.maxConnections} clients already`, { 'Retry-After': '5' });
    }
    const client: SseClient = { sink: res, format };
    // A client from the start, so the replay below is held to maxBufferedBytes like any other write.
    this.#clients.add(client);
    stats.opened();
    res.on('close', () => {
      this.#clients.delete(client);
      stats.closed();
    });
    res.writeHead(200, this.responseHeaders);
    res.flushHeaders?.();
    if (options.retryMs !== null) res.write(`retry: ${options.retryMs}\n\n`);

    // An empty Last-Event-ID header says nothing (browsers send none before the first id), so the query can still count.
    const lastSeen = parseSeq(req.headers['last-event-id'] || query.get('lastEventId') || undefined);
    const resume = this.feed.resumeAfter(lastSeen);
    if (resume.kind === 'fresh') return;
    if (resume.kind !== 'ahead') stats.resumed++;
    const reset = resetOf(resume);
    if (reset) {
      stats.resets++;
      // Ahead: the id moves back to this feed's numbering, so a reconnect before the next quote resumes from here, not the old id.
      const id = reset.reason === 'ahead' ? `id: ${reset.firstAvailable - 1}\n` : '';
      res.write(`${id}event: reset\ndata: ${JSON.stringify(reset)}\n\n`);
    }
    for (const frame of resume.frames) if (this.#clients.has(client)) this.#sendQuote(client, frame);
  }

  /** Subscribes to the feed (starting it when this server owns it) and starts the heartbeat. */
  start(ownsFeed: boolean): void {
    this.#detach = attachFeed(this.feed, ownsFeed, (frame) => {
      for (const client of this.#clients) this.#sendQuote(client, frame);
    });
    const { heartbeatMs } = this.options;
    if (heartbeatMs !== null) {
      this.#heartbeat = setInterval(() => {
        for (const client of this.#clients) this.#send(client, `: heartbeat ${Math.round(now())}\n\n`);
      }, heartbeatMs);
    }
  }

  /** Unsubscribes, stops the heartbeat, and ends every stream the clean way. */
  stop(): void {
    this.#detach?.();
    clearInterval(this.#heartbeat);
    this.#endAll();
  }

  /** A network drop (every TCP socket destroyed) or a clean end of every stream: the server's drop(). */
  drop(mode: DropMode): void {
    if (mode === 'destroy') this.stats.destroySockets();
    else this.#endAll();
  }

  #endAll(): void {
    for (const client of this.#clients) client.sink.end();
  }

  /** Writes to one client; a client that lets too much pile up is dropped, not waited for. */
  #send(client: SseClient, chunk: string | Buffer): void {
    client.sink.write(chunk);
    if (client.sink.writableLength > this.options.maxBufferedBytes && this.#clients.delete(client)) {
      this.stats.dropped++;
      client.sink.destroy();
    }
  }

  #sendQuote(client: SseClient, frame: Frame): void {
    this.#send(client, sseEvent(frame, client.format));
    this.stats.messagesSent++;
  }
}
