/**
 * Server-Sent Events over HTTP/2: the same GET /sse stream as servers/sse.ts (servers/sse-stream.ts
 * writes both), POST /sse/ping and GET /stats, on node:http2's secure server with the lab's
 * certificate. Always TLS: browsers speak HTTP/2 only over TLS (ALPN `h2`), and `allowHTTP1` is
 * off, so a client that cannot speak HTTP/2 is turned away at the TLS handshake.
 *
 * One TCP connection is a session that multiplexes streams: a browser's EventSources to this
 * origin, and its POSTs, share one connection instead of taking one each (HTTP/1.1's six per
 * origin). /stats counts sessions as `sockets` and streams as `connections`; the slow-consumer
 * drop resets the one stream (RST_STREAM) and leaves the session to the client's other streams.
 *
 * express does not run on node:http2's request objects, so the three routes are dispatched here;
 * POST /sse/ping's body goes through the same body-parser (express.json) as servers/sse.ts. A TLS
 * client that offers no ALPN gets node's bare HTTP/1.0 403 ("expected `h2`"); one that offers only
 * http/1.1 a TLS alert (no_application_protocol).
 */
import express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import { QuoteFeed } from './feed.ts';
import { CLOSE_GRACE_MS, closeServer, HEADERS_TIMEOUT_MS, hostForUrl, listenOn, REQUEST_TIMEOUT_MS, type RunningServer } from './listen.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { BAD_TARGET_BODY, requestTarget } from './request.ts';
import { bodyError, checkCors, NOT_FOUND_HINT, PING_HINT, pongFor, sendError, SSE_HEADERS, SseStreams } from './sse-stream.ts';
import { ServerStats } from './stats.ts';
import { labCertificate } from './tls.ts';

/** Streams one session may have open at once (RFC 9113 asks for at least 100; node's default is unbounded). */
const MAX_STREAMS_PER_SESSION = 100;

export async function start(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions({ ...input, tls: true });
  const feed = options.feed ?? new QuoteFeed(options);
  const stats = new ServerStats('sse-h2', () => feed.latestSeq, options.statsGc);
  const streams = new SseStreams(feed, options, stats, SSE_HEADERS);
  const parseJson = express.json({ limit: options.maxPayloadBytes });

  function ping(req: Http2ServerRequest, res: Http2ServerResponse): void {
    // The whole request within REQUEST_TIMEOUT_MS, as node:http's requestTimeout holds an HTTP/1.1 request to it.
    const timer = setTimeout(() => res.stream.close(constants.NGHTTP2_CANCEL), REQUEST_TIMEOUT_MS);
    res.once('close', () => clearTimeout(timer));
    // HTTP/2 frames a body in DATA frames: Content-Length is optional and Transfer-Encoding forbidden, but body-parser
    // (type-is's hasBody) looks only at those two and would take a body sent without a length for none (jshttp/type-is#36).
    // HEADERS without END_STREAM is HTTP/2's own "a body follows"; say it the HTTP/1.1 way for the parser.
    if (!req.stream.endAfterHeaders && req.headers['content-length'] === undefined) req.headers['transfer-encoding'] = 'chunked';
    // body-parser reads only the headers and the body stream, which the compatibility request has as IncomingMessage does.
    parseJson(req as unknown as IncomingMessage, res as unknown as ServerResponse, (error?: { status?: number; type?: string }) => {
      clearTimeout(timer);
      if (error) return sendError(res, ...bodyError(error, options.maxPayloadBytes));
      const pong = pongFor((req as { body?: unknown }).body);
      if (!pong) return sendError(res, 400, 'LAB_BAD_MESSAGE', PING_HINT);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(pong));
    });
  }

  const handler = (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const target = requestTarget(req);
    if (!target) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      return void res.end(BAD_TARGET_BODY);
    }
    if (!checkCors(req, res, options.allowOrigins, stats)) return;
    const route = `${req.method} ${target.pathname}`;
    if (route === 'GET /sse') return streams.open(req, res, target.searchParams);
    if (route === 'GET /stats' || route === 'HEAD /stats') return stats.answer(res, target);
    if (route === 'POST /sse/ping') return ping(req, res);
    sendError(res, 404, 'LAB_NOT_FOUND', NOT_FOUND_HINT);
  };

  const cert = await labCertificate();
  const server = createSecureServer(
    {
      cert: cert.cert,
      key: cert.key,
      allowHTTP1: false,
      // The TLS handshake gets as long as node:http gives an HTTP/1.1 client for its request headers.
      handshakeTimeout: HEADERS_TIMEOUT_MS,
      settings: { maxConcurrentStreams: MAX_STREAMS_PER_SESSION },
    },
    handler,
  );
  stats.watch(server);
  /** Every live session, with the streams it has open. */
  const openStreams = new Map<Http2Session, number>();
  server.on('session', (session: Http2Session) => {
    openStreams.set(session, 0);
    session.once('close', () => openStreams.delete(session));
    // A session quiet this long with no stream open is closed (GOAWAY), as node:http closes an HTTP/1.1 connection
    // that sends no request: an idle session would otherwise hold a socket for as long as the client likes.
    // A client that stopped reading (a dropped slow consumer) cannot take the GOAWAY either, so the session is
    // destroyed a second later if it has not closed by then.
    session.setTimeout(HEADERS_TIMEOUT_MS, () => {
      if (openStreams.get(session) !== 0) return;
      session.close();
      const cut = setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
      session.once('close', () => clearTimeout(cut));
    });
  });
  server.on('stream', (stream) => {
    const session = stream.session;
    if (!session) return;
    openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
    stream.once('close', () => openStreams.has(session) && openStreams.set(session, openStreams.get(session)! - 1));
  });
  const port = await listenOn(server, options);
  const origin = `https://${hostForUrl(options.host)}:${port}`;
  streams.start(!options.feed);

  return {
    transport: 'sse-h2',
    url: `${origin}/sse`,
    statsUrl: `${origin}/stats`,
    origin,
    spki: cert.spki,
    feed,
    stats,
    drop: (mode) => streams.drop(mode),
    async close() {
      streams.stop();
      // GOAWAY: each session closes once its streams have ended; closeServer destroys what is left after its grace period.
      for (const session of openStreams.keys()) session.close();
      await closeServer(server, stats);
    },
  };
}
