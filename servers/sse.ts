/**
 * Server-Sent Events over HTTP/1.1, on express: GET /sse streams the feed (the format, resume and
 * heartbeat are servers/sse-stream.ts's, shared with SSE over HTTP/2), POST /sse/ping is the
 * upstream path (SSE is one-way), GET /stats the counters.
 *
 * The stream itself is a node:http handler in front of the express app: express's per-request
 * objects stay alive as long as the stream does and cost about 3.6 KB each (9,779 vs 6,198 B of heap
 * per idle stream at 2,000 streams, medians of 3 runs of `npm run express-overhead`). `expressStream: true` (--express-stream)
 * routes it through express, as article A's server does.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './errors.ts';
import { QuoteFeed } from './feed.ts';
import { closeServer, listen, type RunningServer } from './listen.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { refuseBadTarget, requestTarget } from './request.ts';
import { bodyError, checkCors, NOT_FOUND_HINT, PING_HINT, pongFor, SSE_HEADERS, SseStreams } from './sse-stream.ts';
import { ServerStats } from './stats.ts';

/** HTTP/1.1 keeps the connection open for the stream; the header is HTTP/1.1's alone. */
const HTTP1_SSE_HEADERS = { ...SSE_HEADERS, Connection: 'keep-alive' };

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('sse', () => feed.latestSeq, options.statsGc);
  const streams = new SseStreams(feed, options, stats, HTTP1_SSE_HEADERS);

  /** GET /sse, on node:http's own request and response; `target` is passed when already read. */
  function stream(req: IncomingMessage, res: ServerResponse, target = requestTarget(req)): void {
    if (!target) return refuseBadTarget(res);
    streams.open(req, res, target.searchParams);
  }

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res, next) => checkCors(req, res, options.allowOrigins, stats) && next());
  app.get('/stats', (req, res) => stats.handle(req, res));
  if (options.expressStream) app.get('/sse', (req, res) => stream(req, res));

  app.post('/sse/ping', express.json({ limit: options.maxPayloadBytes }), (req, res) => {
    const pong = pongFor(req.body);
    if (!pong) {
      res.status(400).type('application/json').send(errorBody('LAB_BAD_MESSAGE', PING_HINT));
      return;
    }
    res.json(pong);
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/json').send(errorBody('LAB_NOT_FOUND', NOT_FOUND_HINT));
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
  streams.start(!options.feed);

  return {
    transport: 'sse',
    url: `${origin}/sse`,
    statsUrl: `${origin}/stats`,
    origin,
    spki,
    feed,
    stats,
    drop: (mode) => streams.drop(mode),
    async close() {
      streams.stop();
      await closeServer(server, stats);
    },
  };
}
