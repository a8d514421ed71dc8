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
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { now } from './contract.ts';
import { errorBody } from './errors.ts';
import { type Frame, parseSeq, QuoteFeed } from './feed.ts';
import { attachFeed, closeServer, listen, type DropMode, type RunningServer } from './listen.ts';
import { originAllowed, resolveOptions, type ServerOptions } from './options.ts';
import { ServerStats } from './stats.ts';

type SseFormat = 'json' | 'base64';
interface SseClient {
  res: Response;
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

/** Explicit CORS allowlist: an allowed Origin is reflected with credentials, never `*`; others get 403. */
function corsAllowlist(allowOrigins: readonly string[], stats: ServerStats) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (!originAllowed(origin, allowOrigins)) {
      stats.refused++;
      res.status(403).type('application/json').send(errorBody('LAB_ORIGIN_REFUSED', `origin ${origin} is not on the allowlist`));
      return;
    }
    if (origin) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, POST');
      res.set('Access-Control-Allow-Headers', 'Content-Type, Last-Event-ID');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('sse', () => feed.latestSeq);
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

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(corsAllowlist(options.allowOrigins, stats));
  app.get('/stats', (req, res) => stats.handle(req, res));

  app.post('/sse/ping', express.json({ limit: options.maxPayloadBytes }), (req, res) => {
    const t = (req.body as { t?: unknown } | undefined)?.t;
    if (typeof t !== 'number') {
      res.status(400).type('application/json').send(errorBody('LAB_BAD_MESSAGE', 'send {"t": <number>}'));
      return;
    }
    res.json({ type: 'pong', t, serverTs: now() });
  });

  app.get('/sse', (req, res) => {
    const format = (req.query.format ?? 'json') as string;
    if (format !== 'json' && format !== 'base64') {
      res.status(400).type('application/json').send(errorBody('LAB_BAD_FORMAT', 'format is json or base64'));
      return;
    }
    if (clients.size >= options.maxConnections) {
      stats.refused++;
      res.status(503).set('Retry-After', '5').type('application/json').send(errorBody('LAB_CONNECTION_CAP', `${options.maxConnections} clients already`));
      return;
    }
    const client: SseClient = { res, format };
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    if (options.retryMs !== null) res.write(`retry: ${options.retryMs}\n\n`);

    const lastSeen = parseSeq(req.get('last-event-id') ?? req.query.lastEventId);
    const resume = feed.resumeAfter(lastSeen);
    if (resume.kind !== 'fresh') stats.resumed++;
    if (resume.kind === 'gap') {
      stats.resets++;
      const { lastSeen: seen, firstAvailable, missed } = resume;
      res.write(`event: reset\ndata: ${JSON.stringify({ lastSeen: seen, firstAvailable, missed })}\n\n`);
    }
    if (resume.kind !== 'fresh') for (const frame of resume.frames) sendQuote(client, frame);

    clients.add(client);
    stats.opened();
    res.on('close', () => {
      clients.delete(client);
      stats.closed();
    });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/json').send(errorBody('LAB_NOT_FOUND', 'try GET /sse, POST /sse/ping or GET /stats'));
  });
  // Body-parser errors (bad JSON, too large) become JSON answers, not HTML stack traces.
  app.use((err: { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const tooLarge = err.type === 'entity.too.large';
    res
      .status(tooLarge ? 413 : (err.status ?? 400))
      .type('application/json')
      .send(errorBody(tooLarge ? 'LAB_PAYLOAD_TOO_LARGE' : 'LAB_BAD_MESSAGE', tooLarge ? `body over ${options.maxPayloadBytes} bytes` : 'body is not valid JSON'));
  });

  const { server, origin, spki } = await listen(app, options, stats);
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
