/**
 * Counters every server keeps, served as JSON at GET /stats. Bytes are read from the TCP sockets
 * themselves (socket.bytesWritten), so they include HTTP headers, framing and TLS: bytes on the wire.
 * Over HTTP/2 a TCP socket is a session that carries many streams: `sockets` counts sessions,
 * `connections` the SSE streams on them.
 */
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { Transport } from './transports.ts';
import { errorBody } from './errors.ts';
import { refuseBadTarget, requestTarget } from './request.ts';

/** A forced GC stops the world for every client, so even a server that allows it runs one at most this often. */
export const GC_MIN_INTERVAL_MS = 1000;

export interface StatsSnapshot {
  transport: Transport;
  pid: number;
  /** Clients connected now (logical: SSE streams, WebSockets, socket.io sockets, TCP clients). */
  connections: number;
  peakConnections: number;
  /** TCP connections open now, including ones not (yet) a client. */
  sockets: number;
  /** Quote messages written to clients (one per client per quote). */
  messagesSent: number;
  bytesWritten: number;
  bytesRead: number;
  /** Clients dropped because their unsent buffer passed maxBufferedBytes. */
  dropped: number;
  /** Connections refused: disallowed Origin or the connection cap. */
  refused: number;
  /** Clients cut off for breaking the protocol or a limit: bad frames, oversize or too many bad messages. */
  violations: number;
  /** Resumes from an id the feed could place (served from the replay buffer, with or without a gap). */
  resumed: number;
  /** `reset`s sent: a gap in the replay buffer (`expired`), or an id ahead of the feed (`ahead`, e.g. after a restart). */
  resets: number;
  latestSeq: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Process CPU time so far, microseconds. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Whether a GC ran before this snapshot: `?gc=1` on a server started with --stats-gc (and node --expose-gc), once a second at most. */
  gc: boolean;
}

export class ServerStats {
  connections = 0;
  peakConnections = 0;
  messagesSent = 0;
  dropped = 0;
  refused = 0;
  violations = 0;
  resumed = 0;
  resets = 0;
  readonly sockets = new Set<Socket>();
  #closedWritten = 0;
  #closedRead = 0;
  #lastGc = -Infinity;

  /** `allowGc`: whether `?gc=1` may force a GC (the load runner's --stats-gc); never for just anyone. */
  constructor(
    readonly transport: Transport,
    readonly latestSeq: () => number,
    readonly allowGc = false,
  ) {}

  /** Counts the bytes of every TCP connection this server accepts. */
  watch(server: NetServer): void {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.#closedWritten += socket.bytesWritten;
        this.#closedRead += socket.bytesRead;
      });
    });
  }

  opened(): void {
    this.connections++;
    if (this.connections > this.peakConnections) this.peakConnections = this.connections;
  }

  closed(): void {
    this.connections--;
  }

  /** Destroys every TCP connection: a network drop as the client sees it. */
  destroySockets(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  snapshot(runGc = false): StatsSnapshot {
    const gc = runGc && this.allowGc && typeof globalThis.gc === 'function' && performance.now() - this.#lastGc >= GC_MIN_INTERVAL_MS;
    if (gc) {
      // Twice: the first collection can leave weak-reference and finalizer work that only the second frees.
      globalThis.gc!();
      globalThis.gc!();
      this.#lastGc = performance.now();
    }
    let bytesWritten = this.#closedWritten;
    let bytesRead = this.#closedRead;
    for (const socket of this.sockets) {
      bytesWritten += socket.bytesWritten;
      bytesRead += socket.bytesRead;
    }
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      transport: this.transport,
      pid: process.pid,
      connections: this.connections,
      peakConnections: this.peakConnections,
      sockets: this.sockets.size,
      messagesSent: this.messagesSent,
      bytesWritten,
      bytesRead,
      dropped: this.dropped,
      refused: this.refused,
      violations: this.violations,
      resumed: this.resumed,
      resets: this.resets,
      latestSeq: this.latestSeq(),
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      gc,
    };
  }

  /** GET /stats[?gc=1] on node:http; `target` is the request's, passed by a caller that has read it already. */
  handle(req: IncomingMessage, res: ServerResponse, target = requestTarget(req)): void {
    if (!target) return refuseBadTarget(res);
    this.answer(res, target);
  }

  /** The /stats answer to a parsed target, on any HTTP version (node:http's response or node:http2's). */
  answer(res: { writeHead(status: number, headers: OutgoingHttpHeaders): unknown; end(body: string): unknown }, target: URL): void {
    const runGc = target.searchParams.get('gc') === '1';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(this.snapshot(runGc)));
  }
}

/**
 * The whole HTTP side of a server whose protocol lives elsewhere (ws upgrades, engine.io, raw TCP):
 * GET /stats, 400 for a target that does not parse, 404 with `hint` for anything else.
 */
export function statsListener(stats: ServerStats, hint: string): RequestListener {
  return (req, res) => {
    const target = requestTarget(req);
    if (!target) return refuseBadTarget(res);
    if (target.pathname === '/stats') return stats.handle(req, res, target);
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(errorBody('LAB_NOT_FOUND', hint));
  };
}
