/**
 * Server-Sent Events on express: GET /sse streams the feed as
 *
 *   retry: 3000            (once, on connect)
 *   id: 17
 *   event: quote
 *   data: {"seq":17,...}   (or the binary layout in base64 with ?format=base64)
 *
 * with a `:` comment heartbeat. Resume from the Last-Event-ID header or ?lastEventId= (the
 * polyfill's way). SSE is one-way, so the upstream path is a plain POST /sse/ping.
 *
 * The stream itself is a node:http handler in front of the express app: express's per-request
 * objects stay alive as long as the stream does and cost about 4 KB each (8.8 vs 4.8 KB of heap per
 * idle stream at 2,000 streams, `npm run express-overhead`). `expressStream: true` (--express-stream)
 * routes it through express, as article A's server does.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { now } from './contract.ts';
import { errorBody, type LabErrorCode } from './errors.ts';
import { type Frame, parseSeq, QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, listen, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { refuseBadTarget, requestTarget } from './request.ts';
import { ServerStats } from './stats.ts';

type SseFormat = 'json' | 'base64';
interface SseClient {
  res: ServerResponse;
  format: SseFormat;
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  // no-transform: compression middleware and proxies must not buffer or re-encode the stream.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
};

/** One quote as an SSE event, made once per quote per format and shared by every client. */
function sseEvent(frame: Frame, format: SseFormat): string {
  return frame.memo(`sse-${format}`, (f) => {
    const data = format === 'json' ? f.json : f.binary.toString('base64');
    return `id: ${f.quote.seq}\nevent: quote\ndata: ${data}\n\n`;
  });
}

/**
 * Explicit CORS allowlist: an allowed Origin is reflected with credentials, never `*`; any other
 * gets 403. Answers preflights itself. Returns true when the request should go on.
 */
function checkCors(req: IncomingMessage, res: ServerResponse, allowOrigins: readonly string[], stats: ServerStats): boolean {
  const origin = req.headers.origin;
  res.setHeader('Vary', 'Origin');
  if (!originAllowed(origin, allowOrigins)) {
    stats.refused++;
    res
      .writeHead(403, { 'Content-Type': 'application/json' })
      .end(errorBody('LAB_ORIGIN_REFUSED', `origin ${origin} is not on the allowlist`));
    return false;
  }
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  if (req.method === 'OPTIONS') {
    res
      .writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Content-Type, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      })
      .end();
    return false;
  }
  return true;
}

/** What a body-parser error means for the client: status, code and message. */
function bodyError(err: { status?: number; type?: string }, maxPayloadBytes: number): [number, LabErrorCode, string] {
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

const sendError = (res: ServerResponse, status: number, code: LabErrorCode, message: string, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(errorBody(code, message));

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('sse', () => feed.latestSeq, options.statsGc);
  const clients = new Set<SseClient>();

  /** Writes to one client; a client that lets too much pile up is dropped, not waited for. */
  function send(client: SseClient, text: string): void {
    client.res.write(text);
    if (client.res.writableLength > options.maxBufferedBytes && clients.delete(client)) {
      stats.dropped++;
      client.res.destroy();
    }
  }

  function sendQuote(client: SseClient, frame: Frame): void {
    send(client, sseEvent(frame, client.format));
    stats.messagesSent++;
  }

  /** GET /sse: the stream, on node:http's own request and response; `target` is passed when already read. */
  function stream(req: IncomingMessage, res: ServerResponse, target = requestTarget(req)): void {
    if (!target) return refuseBadTarget(res);
    const query = target.searchParams;
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'base64') return void sendError(res, 400, 'LAB_BAD_FORMAT', 'format is json or base64');
    if (clients.size >= options.maxConnections) {
      stats.refused++;
      return void sendError(res, 503, 'LAB_CONNECTION_CAP', `${options.maxConnections} clients already`, { 'Retry-After': '5' });
    }
    const client: SseClient = { res, format };
    // A client from the start, so the replay below is held to maxBufferedBytes like any other write.
    clients.add(client);
    stats.opened();
    res.on('close', () => {
      clients.delete(client);
      stats.closed();
    });
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    if (options.retryMs !== null) res.write(`retry: ${options.retryMs}\n\n`);

    // An empty Last-Event-ID header says nothing (browsers send none before the first id), so the query can still count.
    const lastSeen = parseSeq(req.headers['last-event-id'] || query.get('lastEventId') || undefined);
    const resume = feed.resumeAfter(lastSeen);
    if (resume.kind !== 'fresh') stats.resumed++;
    if (resume.kind === 'gap') {
      stats.resets++;
      const { lastSeen: seen, firstAvailable, missed } = resume;
      res.write(`event: reset\ndata: ${JSON.stringify({ lastSeen: seen, firstAvailable, missed })}\n\n`);
    }
    if (resume.kind !== 'fresh') for (const frame of resume.frames) if (clients.has(client)) sendQuote(client, frame);
  }

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => checkCors(req, res, options.allowOrigins, stats) && next());
  app.get('/stats', (req, res) => stats.handle(req, res));
  if (options.expressStream) app.get('/sse', (req, res) => stream(req, res));

  app.post('/sse/ping', express.json({ limit: options.maxPayloadBytes }), (req, res) => {
    const t = (req.body as { t?: unknown } | undefined)?.t;
    if (typeof t !== 'number') {
      res.status(400).type('application/json').send(errorBody('LAB_BAD_MESSAGE', 'send {"t": <number>}'));
      return;
    }
    res.json({ type: 'pong', t, serverTs: now() });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/json').send(errorBody('LAB_NOT_FOUND', 'try GET /sse, POST /sse/ping or GET /stats'));
  });
  // Body-parser errors become JSON answers with their own code, not HTML stack traces or a blanket "not valid JSON".
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const [status, code, message] = bodyError(err, options.maxPayloadBytes);
    res.status(status).type('application/json').send(errorBody(code, message));
  });

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const target = requestTarget(req);
    if (!target) return refuseBadTarget(res);
    const isStream = !options.expressStream && req.method === 'GET' && target.pathname === '/sse';
    if (!isStream) return app(req, res);
    if (checkCors(req, res, options.allowOrigins, stats)) stream(req, res, target);
  };
  const { server, origin, spki } = await listen(handler, options, stats);
  const detach = attachFeed(feed, !options.feed, (frame) => {
    for (const client of clients) sendQuote(client, frame);
  });
  const heartbeat =
    options.heartbeatMs === null
      ? undefined
      : setInterval(() => {
          for (const client of clients) send(client, `: heartbeat ${Math.round(now())}\n\n`);
        }, options.heartbeatMs);

  function drop(mode: DropMode): void {
    if (mode === 'destroy') stats.destroySockets();
    else for (const client of clients) client.res.end();
  }

  return {
    transport: 'sse',
    url: `${origin}/sse`,
    statsUrl: `${origin}/stats`,
    origin,
    spki,
    feed,
    stats,
    drop,
    async close() {
      detach();
      clearInterval(heartbeat);
      drop('end');
      await closeServer(server, stats);
    },
  };
}
