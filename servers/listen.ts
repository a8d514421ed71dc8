/**
 * What the servers share below the protocol: an http or https server bound to the configured
 * host and port (0 = any free port; SSE over HTTP/2 makes its own node:http2 server and binds it
 * with listenOn), and a close that gives connections a short grace period and then destroys
 * whatever is left.
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Transport } from './transports.ts';
import type { Frame, QuoteFeed } from './feed.ts';
import type { ServerOptions } from './options.ts';
import type { ServerStats } from './stats.ts';
import { labCertificate } from './tls.ts';

/** How `drop()` ends client connections: tear the TCP socket down, or close the transport's clean way. */
export type DropMode = 'destroy' | 'end';

/** What every transport's `start()` resolves to. */
export interface RunningServer {
  transport: Transport;
  /** Where clients connect: http(s)://host:port/sse, ws(s)://host:port/ws, http(s)://host:port, tcp://host:port. */
  url: string;
  /** GET this for the StatsSnapshot JSON. */
  statsUrl: string;
  /** scheme://host:port of the server's HTTP side. */
  origin: string;
  /** SPKI sha256 of the certificate when serving TLS. */
  spki?: string;
  feed: QuoteFeed;
  stats: ServerStats;
  /** Ends every client connection now (scenarios: a network drop or a clean server-side end). */
  drop(mode: DropMode): void;
  /** Graceful shutdown: SSE streams ended, ws closed with 1001, socket.io disconnected; resolves when closed. */
  close(): Promise<void>;
}

/**
 * TCP connections a server accepts: two per client (a socket.io client opens a WebSocket beside its long poll while it
 * upgrades; a page fetches beside its EventSource), plus room to answer over-cap clients with their 503 / 1013 and
 * for /stats probes. Past it the kernel connection is closed at once.
 */
export const socketCap = (maxConnections: number) => 2 * maxConnections + 64;
/** A client gets this long to send its request headers, and this long for the whole request (not the stream after it). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface Listening {
  server: HttpServer;
  origin: string;
  port: number;
  spki?: string;
}

/** URL host part: IPv6 literals go in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function listen(handler: RequestListener, options: ServerOptions, stats: ServerStats): Promise<Listening> {
  let server: HttpServer;
  let spki: string | undefined;
  if (options.tls) {
    const cert = await labCertificate();
    spki = cert.spki;
    server = createHttpsServer(
      { cert: cert.cert, key: cert.key, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      handler,
    ) as unknown as HttpServer;
  } else {
    server = createHttpServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, handler);
  }
  stats.watch(server);
  const port = await listenOn(server, options);
  const origin = `${options.tls ? 'https' : 'http'}://${hostForUrl(options.host)}:${port}`;
  return { server, origin, port, spki };
}

/** Caps the server's TCP connections, binds, and resolves the port the OS gave. */
export function listenOn(server: NetServer, options: Pick<ServerOptions, 'host' | 'port' | 'maxConnections'>): Promise<number> {
  server.maxConnections = socketCap(options.maxConnections);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** How long a connection asked to close (a close frame, a GOAWAY, server shutdown) gets before it is destroyed. */
export const CLOSE_GRACE_MS = 1000;

/**
 * Stops accepting, waits up to `graceMs` for connections to finish, then destroys the rest. Resolves once every
 * socket has emitted 'close': the server's own close can come a turn of the event loop before a TLS socket's.
 */
export async function closeServer(server: NetServer, stats: ServerStats, graceMs = CLOSE_GRACE_MS): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => stats.destroySockets(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    (server as HttpServer).closeIdleConnections?.();
  });
  await settle(() => stats.sockets.size === 0, graceMs);
}

/**
 * The feed wiring every transport shares: subscribe `broadcast`, start the feed if this server
 * owns it, and undo both on close. A shared feed (the demo) is left running for its owner.
 */
export function attachFeed(feed: QuoteFeed, owned: boolean, broadcast: (frame: Frame) => void): () => void {
  const unsubscribe = feed.subscribe(broadcast);
  if (owned) feed.start();
  return () => {
    unsubscribe();
    if (owned) feed.stop();
  };
}

/** Resolves once `done()` is true, or after `limitMs` regardless: shutdown waits, but never forever. */
export async function settle(done: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
